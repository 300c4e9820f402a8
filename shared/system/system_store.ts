import type postgres from "postgres";
import type { Sql } from "../db/client.ts";
import { inRolledBackSavepoint, inRolledBackTransaction } from "../db/rolled_back.ts";
import { finishRun, type RunTrigger, startRun } from "../db/run_log.ts";
import { planApply } from "../recommendations/apply_plan.ts";
import type { StoredFinding } from "../recommendations/recommendation_store.ts";
import { readableIdent } from "../sql/identifiers.ts";
import { readWorkload } from "../workload/workload.ts";
import type { CandidateFacts } from "./candidate.ts";

/**
 * Postgres adapter of system-wide runs: the run lock, what the planner reads about each candidate, and the
 * runs (optimizer.runs, module 'systemWide'). The actions themselves are applied and audited through the
 * recommendations module's store (findings and their events).
 */

/** A recorded system-wide run. */
export interface SystemRunRecord {
  /** Its id in optimizer.runs. */
  id: string;
  /** What started it. */
  trigger: string;
  /** running, succeeded or failed. */
  status: string;
  /** When it started. */
  startedAt: string;
  /** When it ended; null while running. */
  finishedAt: string | null;
  /** What it did (the run's result), or what it had done when it failed. */
  summary: Record<string, unknown>;
  /** Why it failed; null otherwise. */
  error: string | null;
}

/** The system-wide runs' SQL interface. */
export interface SystemStore {
  /**
   * Runs `body` as a recorded run (optimizer.runs, module systemWide) while holding the run lock, so that one
   * run goes at a time: the run is recorded `running` as it starts and ends `succeeded` with what `body` returns,
   * or `failed` with the error, which is thrown on. A run a dead function left `running` is marked failed
   * first. When another run holds the lock, `body` does not run and the running run's id is returned (null
   * when it has not recorded itself yet). The lock ends with the transaction holding it, which Postgres ends
   * after `holdMs` idle should the function die mid-run.
   */
  lockedRun<T>(
    run: { trigger: RunTrigger; now: Date; holdMs: number },
    body: (runId: string) => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false; runningRunId: string | null }>;
  /** What the planner needs to know about each finding's action, by finding id. */
  candidateFacts(findings: readonly StoredFinding[]): Promise<Map<string, CandidateFacts>>;
  /** The project's statements' execution time over `window` (the suite's own left out), in ms. */
  workloadMs(window: { from: Date; to: Date }): Promise<number>;
  /** The size of the indexes applied findings built and keep, in MB. */
  suiteIndexMb(applied: readonly StoredFinding[]): Promise<number>;
  /** The latest runs, newest first. */
  runs(limit: number): Promise<SystemRunRecord[]>;
  /** One run, or null. */
  run(id: string): Promise<SystemRunRecord | null>;
  /** The findings `actor` applied that are still applied, in the order they were applied. */
  appliedBy(actor: string): Promise<string[]>;
}

/** The run lock's advisory key, beside the metric store's and the findings merge's (8061130001 to 3). */
const runLockKey = 8061130004;
/** hypopg's size estimates run in a transaction rolled back at the end; each statement gets this long. */
const estimateTimeoutMs = 5_000;
const MB = 1024 * 1024;

interface RunRow {
  id: string;
  trigger: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  summary: Record<string, unknown>;
  error: string | null;
}

const fromRow = (row: RunRow): SystemRunRecord => ({
  id: String(row.id),
  trigger: row.trigger,
  status: row.status,
  startedAt: row.started_at.toISOString(),
  finishedAt: row.finished_at?.toISOString() ?? null,
  summary: row.summary,
  error: row.error,
});

/**
 * The store over `sql`. `lock` holds the run lock: a client of one connection whose transaction stays open
 * for the run, which works through a transaction pooler (a session lock would not).
 */
export function createSystemStore(sql: Sql, lock: Sql): SystemStore {
  const json = (value: unknown) => sql.json(value as postgres.JSONValue);

  async function runningRunId(): Promise<string | null> {
    const [row] = await sql<{ id: string }[]>`
      select id::text from optimizer.runs
      where module = 'systemWide' and status = 'running' order by started_at desc limit 1`;
    return row?.id ?? null;
  }

  /** Every finding's table: the one an index build names, or the table of the index a drop names. */
  async function tables(findings: readonly StoredFinding[]) {
    const input = findings.flatMap(({ id, finding }) => {
      const plan = planApply(finding.action);
      if (plan.kind === "index") return [{ id, relation: plan.table, kind: "table" }];
      if (plan.kind === "drop-index") return [{ id, relation: plan.index, kind: "index" }];
      return [];
    });
    if (input.length === 0) return new Map<string, CandidateFacts["table"]>();
    const rows = await sql<{ id: string; name: string; bytes: string; indexes: string }[]>`
      select x.id, t.oid::pg_catalog.regclass::text as name, pg_catalog.pg_relation_size(t.oid) as bytes,
             (select count(*) from pg_catalog.pg_index i where i.indrelid = t.oid) as indexes
      from pg_catalog.jsonb_to_recordset(${json(input)}::jsonb) as x(id text, relation text, kind text)
      join pg_catalog.pg_class t on t.oid = case
        when x.kind = 'table' then pg_catalog.to_regclass(x.relation)
        else (select i.indrelid from pg_catalog.pg_index i where i.indexrelid = pg_catalog.to_regclass(x.relation))
      end`;
    return new Map(
      rows.map((r) => [r.id, { name: r.name, indexes: Number(r.indexes), bytes: Number(r.bytes) }]),
    );
  }

  /** hypopg's size of each index a build would make, in a transaction rolled back at the end. */
  async function indexSizes(findings: readonly StoredFinding[]): Promise<Map<string, number>> {
    const builds = findings.flatMap(({ id, finding }) => {
      const plan = planApply(finding.action);
      // hypopg plans `create index`; concurrently changes how a build runs, not what it makes
      return plan.kind === "index" ? [{ id, ddl: plan.statement.replace(/\s+concurrently\s+/i, " ") }] : [];
    });
    const [extension] = await sql<{ schema: string }[]>`
      select n.nspname as schema from pg_catalog.pg_extension e
      join pg_catalog.pg_namespace n on n.oid = e.extnamespace where e.extname = 'hypopg'`;
    if (builds.length === 0 || !extension) return new Map();
    const hypopg = readableIdent(extension.schema);
    const limits = { lockTimeoutMs: estimateTimeoutMs, statementTimeoutMs: estimateTimeoutMs };
    return await inRolledBackTransaction(sql, limits, async (tx) => {
      const sizes = new Map<string, number>();
      for (const { id, ddl } of builds) {
        try {
          const bytes = await inRolledBackSavepoint(tx, async (sp) => {
            const [row] = await sp.unsafe(
              `select ${hypopg}.hypopg_relation_size(h.indexrelid) as bytes from ${hypopg}.hypopg_create_index($1) h`,
              [ddl],
            );
            return Number(row.bytes);
          });
          sizes.set(id, bytes);
        } catch {
          // a statement hypopg cannot plan leaves the size unknown, which the plan's limits step refuses
        }
      }
      return sizes;
    });
  }

  async function workloadMs(window: { from: Date; to: Date }): Promise<number> {
    const workload = await readWorkload(sql, window);
    return workload.statements.reduce((sum, s) => sum + s.totalMs, 0);
  }

  /** The project's statements' execution time over each window the findings' ms gains were measured in. */
  async function workloads(findings: readonly StoredFinding[]): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const { finding } of findings) {
      const window = finding.evidence.windows[0];
      const key = window && `${window.from}/${window.to}`;
      if (finding.gain?.unit !== "ms" || !window || totals.has(key)) continue;
      totals.set(key, await workloadMs({ from: new Date(window.from), to: new Date(window.to) }));
    }
    return totals;
  }

  return {
    async lockedRun(run, body) {
      let runId: string | null = null;
      let value: Awaited<ReturnType<typeof body>> | undefined;
      try {
        const ran = await lock.begin(async (tx) => {
          // The simple query protocol until the run ends: an extended-protocol statement leaves its portal
          // open, and the portal's snapshot would hold back the transaction's xmin, which every
          // `create index concurrently` of the run would wait for.
          const [{ locked }] = await tx.unsafe(
            `select pg_catalog.set_config('idle_in_transaction_session_timeout', '${
              Math.ceil(run.holdMs)
            }ms', true),
                    pg_catalog.pg_try_advisory_xact_lock(${runLockKey}) as locked`,
          ).simple();
          if (!locked) return false;
          // holding the lock, no run is in progress: one still marked running died with its function
          await tx.unsafe(`
            update optimizer.runs set status = 'failed', finished_at = pg_catalog.clock_timestamp(),
              error = 'abandoned: the function running it ended before the run did'
            where module = 'systemWide' and status = 'running'`).simple();
          // recorded outside the lock's transaction, so that a caller turned away sees it
          runId = await startRun(sql, "systemWide", run.trigger, run.now);
          value = await body(runId);
          // recorded on the lock's connection, already open, as the lock is released: the end of a run
          // against a slow database costs one round trip and the commit
          await tx`
            update optimizer.runs set status = 'succeeded', finished_at = pg_catalog.clock_timestamp(),
              summary = ${json(value)}
            where id = ${runId}`;
          return true;
        });
        return ran
          ? { ran: true, value: value as Awaited<ReturnType<typeof body>> }
          : { ran: false, runningRunId: await runningRunId() };
      } catch (error) {
        if (runId !== null) {
          const message = error instanceof Error ? error.message : String(error);
          await finishRun(sql, runId, "failed", { runId, startedAt: run.now.toISOString() }, message).catch(
            () => {},
          );
        }
        throw error;
      }
    },

    async candidateFacts(findings) {
      const [byTable, sizes, totals] = await Promise.all([
        tables(findings),
        indexSizes(findings),
        workloads(findings),
      ]);
      return new Map(findings.map(({ id, finding }) => {
        const window = finding.evidence.windows[0];
        return [id, {
          workloadMs: window ? totals.get(`${window.from}/${window.to}`) ?? null : null,
          table: byTable.get(id) ?? null,
          indexBytes: sizes.get(id) ?? null,
        }];
      }));
    },

    workloadMs,

    async suiteIndexMb(applied) {
      const built = applied.flatMap(({ finding }) => {
        const plan = planApply(finding.action);
        return plan.kind === "index" ? [{ tbl: plan.table, name: plan.indexName }] : [];
      });
      if (built.length === 0) return 0;
      const [{ bytes }] = await sql<{ bytes: number }[]>`
        select coalesce(sum(pg_catalog.pg_relation_size(c.oid)), 0)::float8 as bytes
        from pg_catalog.jsonb_to_recordset(${json(built)}::jsonb) as x(tbl text, name text)
        join pg_catalog.pg_index i on i.indrelid = pg_catalog.to_regclass(x.tbl)
        join pg_catalog.pg_class c on c.oid = i.indexrelid and c.relname = x.name`;
      return bytes / MB;
    },

    async runs(limit) {
      const rows = await sql<RunRow[]>`
        select id::text, trigger, status, started_at, finished_at, summary, error from optimizer.runs
        where module = 'systemWide' order by started_at desc, id desc limit ${limit}`;
      return rows.map(fromRow);
    },

    async run(id) {
      const [row] = await sql<RunRow[]>`
        select id::text, trigger, status, started_at, finished_at, summary, error from optimizer.runs
        where module = 'systemWide' and id = ${id}`;
      return row ? fromRow(row) : null;
    },

    async appliedBy(actor) {
      const rows = await sql<{ id: string }[]>`
        select id::text from optimizer.findings where status = 'applied' and applied_by = ${actor}
        order by applied_at, id`;
      return rows.map((r) => r.id);
    },
  };
}
