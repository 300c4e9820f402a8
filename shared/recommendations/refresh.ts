import type { Sql } from "../db/client.ts";
import { recordedRun } from "../db/run_log.ts";
import type { OptimizationConfig } from "../config/config.ts";
import type { Analyzer } from "./analyzer.ts";
import type { MergeOutcome } from "./merge.ts";
import { type AnalyzerReport, runAnalyzers } from "./run.ts";
import type { RecommendationStore } from "./recommendation_store.ts";

/**
 * One recommendations run end to end: recorded in optimizer.runs (module 'recommendations') as running,
 * the analyzers run within limits.maxRunDurationSeconds (run.ts), their findings merged into the stored ones
 * (merge.ts, one transaction), and the run recorded with its summary, or as failed with the error.
 */

/** A run's account of itself: optimizer.runs.summary and the answer of POST /refresh. */
export interface RunSummary {
  /** The run's id in optimizer.runs. */
  runId: string;
  /** When it started. */
  startedAt: string;
  /** The history it analyzed (ISO instants); absent from a run that failed before its analyzers ran. */
  window?: { from: string; to: string };
  /** Each analyzer's part: completed, failed, timed out or skipped, with its rejections and notes. */
  analyzers: AnalyzerReport[];
  /** Stored findings the run opened, saw again, reopened and resolved. */
  transitions: MergeOutcome["counts"];
}

/** What refreshRecommendations() needs. */
export interface RefreshOptions {
  /** Where findings and runs are stored. */
  store: RecommendationStore;
  /** The analyzers, run in this order. */
  analyzers: readonly Analyzer[];
  /** The project's database, for the analyzers. */
  sql: Sql;
  /** The config in force. */
  config: OptimizationConfig;
  /** What started the run. */
  trigger: "cron" | "api";
  /** When the run starts. */
  now: Date;
  /** Epoch milliseconds for the deadline (default Date.now). */
  clock?: () => number;
  /** The history the analyzers read, ending at `now`, in ms (default analysisWindowMs: a day). */
  windowMs?: number;
}

/** Runs the analysis and stores its findings (see the top of this file). Rethrows a failure to store. */
export async function refreshRecommendations(options: RefreshOptions): Promise<RunSummary> {
  const { store, now } = options;
  // reported with a failed run: what the analyzers found before the failure
  let analyzers: AnalyzerReport[] = [];
  return await recordedRun(store, options.trigger, now, async (runId): Promise<RunSummary> => {
    const outcome = await runAnalyzers(options.analyzers, options);
    analyzers = outcome.analyzers;
    const transitions = await store.merge(outcome, now, `run:${runId}`, options.config.retention.runDays);
    const window = { from: outcome.window.from.toISOString(), to: outcome.window.to.toISOString() };
    return { runId, startedAt: now.toISOString(), window, analyzers, transitions };
  }, () => ({ analyzers }));
}
