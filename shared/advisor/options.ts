import { checkWholeNumber } from "../analyze/options.ts";
import { suiteRoles } from "../workload/workload.ts";

/**
 * The index advisor's thresholds, all in one place with their defaults. resolveAdvisorOptions() fills in the
 * defaults and refuses a value out of range with a message that says what to do.
 */

/** Every threshold of the index advisor's pipeline (see advisor.ts for the steps they belong to). */
export interface AdvisorOptions {
  /** Workload: statements kept, by total execution time over the window (default 100). */
  maxStatements: number;
  /** Workload: statements called fewer times than this over the window are left out (default 2). */
  minCalls: number;
  /** Workload: roles whose statements are the optimizer's own (default the Supabase admin roles). */
  excludedRoles: string[];
  /**
   * Explain: a predicate pg_qualstats saw with one value in at least this many sampled runs of a statement is
   * taken to be constant across the workload (default 5).
   */
  minConstantSamples: number;
  /** Candidates: most key columns of a multicolumn btree (default 3). */
  maxKeyColumns: number;
  /** Candidates: most `include` columns a covering index may carry (default 3). */
  maxIncludeColumns: number;
  /**
   * Candidates: a partial index's predicate must leave at most this share of the table's rows (default 0.5):
   * above it the partial index saves little over a full one.
   */
  maxPartialSelectivity: number;
  /**
   * Evaluate: hypopg cannot make hypothetical GIN indexes, so a trigram index is built for real inside the
   * advisor's rolled-back transaction, only on tables up to this size in MB (default 64): the build holds a
   * SHARE lock that blocks the table's writes while it runs.
   */
  maxTrialBuildTableMb: number;
  /**
   * Select: least saving of an index relative to the cost of the statements it serves, 0 to 1 (default 0.25).
   * Savings are estimated from generic plans; a small one is within the difference between the generic plan
   * and the plans the statements really get, and such an index may never be used: in the reference benchmark
   * a partial index estimated to save 18 % of its statements' time was not scanned once.
   */
  minSavingsRatio: number;
  /**
   * Select: candidates whose net gain is within this share of the best candidate's are taken as equal, and the
   * smallest of them is chosen, 0 to 1 (default 0.05): the estimate cannot tell them apart, but disk and
   * cache can (in the reference benchmark robot_messages (robot_id) and (robot_id, created_at, id) saved the
   * same time, at a fifth of the size).
   */
  equivalentGainRatio: number;
  /** Select: write penalty per maintained index entry, in ms (default 0.01). */
  writeMsPerEntry: number;
  /** Select: write penalty per maintained index entry per MB of index, in ms (default 0.0005). */
  writeMsPerEntryMb: number;
  /**
   * Select: a table whose updates are HOT at least this often (0 to 1, default 0.5) keeps them so: no index on
   * a column its updates change.
   */
  minHotUpdateRatio: number;
  /** Select: a table needs at least this many updates over the window for the HOT rule to apply (default 100). */
  minUpdatesForHot: number;
}

/** The defaults of every AdvisorOptions field. */
export const advisorDefaults: AdvisorOptions = {
  maxStatements: 100,
  minCalls: 2,
  excludedRoles: [...suiteRoles],
  minConstantSamples: 5,
  maxKeyColumns: 3,
  maxIncludeColumns: 3,
  maxPartialSelectivity: 0.5,
  maxTrialBuildTableMb: 64,
  minSavingsRatio: 0.25,
  equivalentGainRatio: 0.05,
  writeMsPerEntry: 0.01,
  writeMsPerEntryMb: 0.0005,
  minHotUpdateRatio: 0.5,
  minUpdatesForHot: 100,
};

function ratio(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be between 0 and 1: got ${value}`);
}

function nonNegative(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be >= 0: got ${value}`);
}

/** The options with defaults filled in; throws RangeError naming the first option out of range. */
export function resolveAdvisorOptions(options: Partial<AdvisorOptions> = {}): AdvisorOptions {
  const o = { ...advisorDefaults, ...options };
  checkWholeNumber("maxStatements", o.maxStatements, 1);
  checkWholeNumber("minCalls", o.minCalls, 1);
  checkWholeNumber("minConstantSamples", o.minConstantSamples, 1);
  checkWholeNumber("maxKeyColumns", o.maxKeyColumns, 1);
  checkWholeNumber("maxIncludeColumns", o.maxIncludeColumns, 0);
  checkWholeNumber("minUpdatesForHot", o.minUpdatesForHot, 0);
  ratio("maxPartialSelectivity", o.maxPartialSelectivity);
  ratio("minSavingsRatio", o.minSavingsRatio);
  ratio("equivalentGainRatio", o.equivalentGainRatio);
  ratio("minHotUpdateRatio", o.minHotUpdateRatio);
  nonNegative("maxTrialBuildTableMb", o.maxTrialBuildTableMb);
  nonNegative("writeMsPerEntry", o.writeMsPerEntry);
  nonNegative("writeMsPerEntryMb", o.writeMsPerEntryMb);
  if (!Array.isArray(o.excludedRoles) || o.excludedRoles.some((r) => typeof r !== "string" || r === "")) {
    throw new RangeError(
      `excludedRoles must be a list of role names: got ${JSON.stringify(o.excludedRoles)}`,
    );
  }
  return o;
}
