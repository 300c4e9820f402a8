import type postgres from "postgres";
import type { ModuleName } from "../config/config.ts";
import type { Sql } from "./client.ts";

/**
 * The run log every module records its periodic or requested work in (optimizer.runs): a run is `running`
 * from its start, so that the pg_cron jobs do not ask for it twice, then `succeeded` or `failed`.
 */

/**
 * What started a run: pg_cron's schedule, a caller of the API, or (the warmer only) pg_cron's handoff job,
 * when the worker that answered the previous run was retired before the next scheduled one.
 */
export type RunTrigger = "cron" | "api" | "handoff";

/** A module's store, as far as its runs go. */
export interface RunLog {
  /** Records a run as running; returns its id. */
  startRun(trigger: RunTrigger, now: Date): Promise<string>;
  /** Records how a run ended. */
  finishRun(
    id: string,
    status: "succeeded" | "failed",
    summary: unknown,
    error: string | null,
  ): Promise<void>;
}

/** Records a run of `module` as started at `now`; returns its id. */
export async function startRun(
  sql: Sql,
  module: ModuleName,
  trigger: RunTrigger,
  now: Date,
): Promise<string> {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into optimizer.runs (module, trigger, status, started_at)
    values (${module}, ${trigger}, 'running', ${now}) returning id`;
  return String(id);
}

/** Records how run `id` ended, with the module's account of it and the error when it failed. */
export async function finishRun(
  sql: Sql,
  id: string,
  status: "succeeded" | "failed",
  summary: unknown,
  error: string | null,
): Promise<void> {
  await sql`
    update optimizer.runs set status = ${status}, finished_at = now(),
      summary = ${sql.json(summary as postgres.JSONValue)}, error = ${error}
    where id = ${id}`;
}

/**
 * Runs `body` as a recorded run: started at `now`, then succeeded with the summary `body` returns, or failed
 * with the error, which is thrown on. A failed run's summary is its id and start, with `failedSummary()`'s
 * fields (what the run had done so far). A failure to record the failure does not hide the error.
 */
export async function recordedRun<S>(
  log: RunLog,
  trigger: RunTrigger,
  now: Date,
  body: (runId: string) => Promise<S>,
  failedSummary: () => Record<string, unknown> = () => ({}),
): Promise<S> {
  const runId = await log.startRun(trigger, now);
  try {
    const summary = await body(runId);
    await log.finishRun(runId, "succeeded", summary, null);
    return summary;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await log.finishRun(runId, "failed", { runId, startedAt: now.toISOString(), ...failedSummary() }, message)
      .catch(() => {});
    throw error;
  }
}
