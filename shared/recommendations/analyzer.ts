import type { Sql } from "../db/client.ts";
import type { OptimizationConfig } from "../config/config.ts";
import type { Finding } from "../finding/finding.ts";

/**
 * The contract between the recommendations run and each analyzer (index advisor, index health, cache, edge,
 * cross-system correlation, …). An analyzer reads what it needs through `sql` over `window`, decides with pure
 * functions, and returns Findings. Every candidate it drops and every rule that did not fire keeps its reason,
 * so that a "no" can be explained as well as a "yes".
 */

/** Why a candidate was dropped or a rule did not fire. */
export interface Rejection {
  /** The rule or pipeline step that decided, e.g. `index.workload` or `correlation.cache-and-db`. */
  rule: string;
  /** What was considered, e.g. `index:public.robots(user_id)`. */
  subject: string;
  /** Why not, with the figures: `saving 0.4 % is below minSavingsRatio 5 %`. */
  reason: string;
}

/** What one analyzer found. */
export interface AnalysisResult {
  /** What it reports or proposes. */
  findings: Finding[];
  /** What it considered and dropped, each with its reason. */
  rejected: Rejection[];
  /** Limits of this analysis a reader should know, e.g. `pg_qualstats is not installed: …`. */
  notes: string[];
}

/** What an analyzer is given. */
export interface AnalysisContext {
  /** The project's database. */
  sql: Sql;
  /** The time the analysis runs at. */
  now: Date;
  /** The suite's current config (limits, alert thresholds). */
  config: OptimizationConfig;
  /** The window of history to analyze. */
  window: { from: Date; to: Date };
  /** Epoch milliseconds by which the analyzer must return; it returns what it has when time runs out. */
  deadline: number;
}

/** One analyzer of the recommendations run. */
export interface Analyzer {
  /** Its name in runs and notes, e.g. `index-advisor`. */
  name: string;
  /** Runs the analysis. */
  analyze(context: AnalysisContext): Promise<AnalysisResult>;
}
