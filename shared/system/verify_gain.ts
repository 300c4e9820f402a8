import type { VerificationConfig } from "../config/config.ts";
import { type EstimatedGain, type MeasuredGain, measuredGain, type Window } from "../finding/finding.ts";
import { addKnown } from "../workload/workload.ts";
import { roundTo } from "./round.ts";

/**
 * Whether an index the suite built gained what it was estimated to, measured on the statements it was built
 * for, per call, so that a busier or quieter hour does not pass for a gain or a loss:
 *
 * 1. enough: the statements have run at least minCalls times since the build, else the check waits;
 * 2. per call: each statement's mean execution time in the estimate's window and since the build;
 * 3. measured gain: the per-call saving of each, times its calls in the estimate's window, added up: the
 *    estimate's own terms (ms over that window), so the two compare;
 * 4. writes: the same per-call comparison of the statements that write the index's table (the index's
 *    maintenance is paid by them), once they too have run minCalls times since the build: the time they
 *    gained is the index's write penalty, in the estimate's terms too;
 * 5. noise: each per-call ratio's standard error, from the per-call variance of each statement in each window
 *    (its sum of squared execution times); unknown when a snapshot lacks it;
 * 6. verdict: `unused` when the planner never scanned the index since it was built, `degraded` when the
 *    statements it was built for take more than degradationRatio longer per call than before (weighted by
 *    their calls in the estimate's window), or when, with the statements that write its table, they do
 *    together ("write latency up": the writes' penalty outweighs the reads' saving), and in either case the
 *    slowdown is beyond the noise (the ratio less significanceZ standard errors is still above 1), else
 *    `kept`. Writes are judged with the reads, not alone: a slower write matters by the time it costs beside
 *    the time the index saves, and a few hundred writes' per-call times vary by tens of percent between
 *    hours; the noise test keeps such a swing from rolling back an index that works.
 */

/** Standard errors a slowdown must stand above 1 by to count (one-sided, about 95 %). */
export const significanceZ = 1.645;

/** A statement the index was built for, and its calls in the estimate's window. */
export interface ServedCalls {
  /** pg_stat_statements' queryid, as text. */
  queryid: string;
  /** Its calls over the estimate's window. */
  calls: number;
}

/** A statement's calls and execution time over a window. */
export interface StatementTimes {
  /** Calls in the window. */
  calls: number;
  /** Execution time in the window, all calls together, in ms. */
  totalMs: number;
  /** The sum of each call's squared execution time, ms²; null or absent when unknown. */
  sumSqMs?: number | null;
}

/** What a check reads. */
export interface IndexCheckInput {
  /** The finding's estimate: ms saved over its window. */
  estimate: EstimatedGain;
  /** The window the estimate was made over. */
  estimateWindow: Window;
  /** The statements the index was built for. */
  served: ServedCalls[];
  /** Each statement's times in the estimate's window, by queryid. */
  before: ReadonlyMap<string, StatementTimes>;
  /** Each statement's times since the build, by queryid. */
  after: ReadonlyMap<string, StatementTimes>;
  /** From the build to now. */
  afterWindow: Window;
  /** The index's scans since it was built (idx_scan of a new index); null when it is gone. */
  indexScans: number | null;
  /**
   * The times of the statements that wrote the index's table in the estimate's window (`before`) and of the
   * same statements since the build (`after`), by queryid; empty when none wrote it.
   */
  writes: { before: ReadonlyMap<string, StatementTimes>; after: ReadonlyMap<string, StatementTimes> };
}

/** The outcome of one check. */
export type IndexCheck =
  | { verdict: "pending"; reason: string }
  | {
    verdict: "kept" | "degraded" | "unused";
    reason: string;
    /** The gain measured, in the estimate's unit and window. */
    measured: MeasuredGain;
    /** |estimate − measured| / |measured|; null when nothing was measured to compare with. */
    relativeError: number | null;
    /** Mean execution time per call after over before, weighted by the estimate window's calls. */
    perCallRatio: number;
    /** perCallRatio's standard error; null when a window's variance is unknown. */
    perCallStdError: number | null;
    /** The same for the statements that write the table; null when too few of their calls were compared. */
    writeRatio: number | null;
    /**
     * The same for the statements it was built for and those that write the table together; equal to
     * perCallRatio when the writes were not judged.
     */
    combinedRatio: number;
    /** combinedRatio's standard error; null when a window's variance is unknown. */
    combinedStdError: number | null;
  };

/**
 * The outcome of a check of a budget raised for what it buys: pending until enough was measured, else its
 * verdict with the gain measured in the estimate's terms.
 */
export type BudgetCheck =
  | { verdict: "pending"; reason: string }
  | {
    verdict: "kept" | "unused";
    reason: string;
    /** The gain measured, in the estimate's unit and window. */
    measured: MeasuredGain;
    /** The measured gain's standard error, in its unit: the sampling noise of the counts it comes from. */
    stdError: number;
    /** |estimate − measured| / |measured|; null when nothing was measured to compare with. */
    relativeError: number | null;
  };

const round = (value: number, digits = 2) => roundTo(value, digits);

/**
 * |estimated − measured| / |measured|, to 3 places, as every check records it; null when nothing was measured
 * to compare with.
 */
export function relativeError(estimated: number, measured: number): number | null {
  return measured !== 0 ? round(Math.abs(estimated - measured) / Math.abs(measured), 3) : null;
}

/** The method a measured gain names. */
export const indexGainMethod: string =
  "per-call execution time of the statements the index was built for (optimizer.statement_deltas), in the " +
  "estimate's window and since the build, the saving per call times the calls of the estimate's window";

/** Pure: checks one index build (see the top of this file). */
export function checkIndexBuild(
  input: IndexCheckInput,
  options: Pick<VerificationConfig, "minCalls" | "degradationRatio">,
): IndexCheck {
  // 1. enough calls since the build
  const reads = perCall(input.served, input.before, input.after);
  if (reads.callsAfter < options.minCalls) {
    return {
      verdict: "pending",
      reason:
        `${reads.callsAfter} call(s) of the statements it was built for since the build, in the estimate's ` +
        `window too: verification.minCalls is ${options.minCalls}`,
    };
  }

  // 2 and 3. per-call means, and the saving in the estimate's terms
  const measured = measuredGain(
    round(reads.savedMs),
    input.estimate.unit,
    input.afterWindow,
    indexGainMethod,
  );
  const error = relativeError(input.estimate.value, reads.savedMs);
  const perCallRatio = round(reads.ratio, 3);
  const perCallStdError = ratioStdError(reads);
  const measuredText = `${reads.statements} statement(s), ${reads.callsAfter} call(s) since the build: per ` +
    `call ${round(perCallRatio * 100, 1)} % of their time before${
      plusMinus(perCallStdError)
    }, a measured saving of ${
      round(reads.savedMs)
    } ms against the ${input.estimate.value} ms estimated over the estimate's window`;

  // 4. the statements that write the table, judged once they have run enough
  const writeWeights = [...input.writes.before].map(([queryid, times]) => ({ queryid, calls: times.calls }));
  const writes = perCall(writeWeights, input.writes.before, input.writes.after);
  const writeRatio = writes.statements > 0 && writes.callsAfter >= options.minCalls
    ? round(writes.ratio, 3)
    : null;
  const penaltyMs = writes.afterMs - writes.beforeMs;
  const writeText = writes.statements === 0
    ? "; no statement that writes its table ran in both windows"
    : writeRatio === null
    ? `; ${writes.callsAfter} call(s) since the build of the statements that write its table, below ` +
      `verification.minCalls ${options.minCalls}: not judged`
    : `; the ${writes.statements} statement(s) that write its table, ${writes.callsAfter} call(s) since the ` +
      `build: per call ${round(writeRatio * 100, 1)} % of their time before${
        plusMinus(ratioStdError(writes))
      }, ${round(penaltyMs)} ms in the estimate's terms`;
  const combined = writeRatio === null ? reads : together(reads, writes);
  const combinedRatio = round(combined.ratio, 3);

  // 5. the noise of each ratio
  const combinedStdError = ratioStdError(combined);
  const outcome = {
    measured,
    relativeError: error,
    perCallRatio,
    perCallStdError,
    writeRatio,
    combinedRatio,
    combinedStdError,
  };
  const threshold = 1 + options.degradationRatio;
  const beyondNoise = (ratio: number, stdError: number | null) => ratio - significanceZ * (stdError ?? 0) > 1;

  // 6. the verdict
  if (input.indexScans === 0) {
    return {
      verdict: "unused",
      reason: `the planner has not scanned the index since it was built; ${measuredText}${writeText}`,
      ...outcome,
    };
  }
  if (perCallRatio > threshold && beyondNoise(perCallRatio, perCallStdError)) {
    return {
      verdict: "degraded",
      reason: `the statements it was built for are slower per call than before it, beyond ` +
        `verification.degradationRatio ${options.degradationRatio}: ${measuredText}${writeText}`,
      ...outcome,
    };
  }
  if (combinedRatio > threshold && beyondNoise(combinedRatio, combinedStdError)) {
    return {
      verdict: "degraded",
      reason: `write latency up: with the statements that write its table, the statements it was built for ` +
        `take ${round(combinedRatio * 100, 1)} % of their time before per call, beyond ` +
        `verification.degradationRatio ${options.degradationRatio}: ${measuredText}${writeText}`,
      ...outcome,
    };
  }
  const noisy = Math.max(perCallRatio, combinedRatio) > threshold
    ? `slower per call beyond verification.degradationRatio ${options.degradationRatio}, but by less than ` +
      `${significanceZ} standard errors above their time before: within the noise of the calls compared; `
    : "";
  return { verdict: "kept", reason: `${noisy}${measuredText}${writeText}`, ...outcome };
}

/** Two comparisons' statements together: reads and the writes judged with them. */
function together(a: PerCall, b: PerCall): PerCall {
  const beforeMs = a.beforeMs + b.beforeMs, afterMs = a.afterMs + b.afterMs;
  return {
    statements: a.statements + b.statements,
    callsAfter: a.callsAfter + b.callsAfter,
    beforeMs,
    afterMs,
    savedMs: beforeMs - afterMs,
    ratio: beforeMs > 0 ? afterMs / beforeMs : a.ratio,
    beforeVariance: addKnown(a.beforeVariance, b.beforeVariance),
    afterVariance: addKnown(a.afterVariance, b.afterVariance),
  };
}

/**
 * The standard error of afterMs / beforeMs by the delta method, from each sum's variance; null when either is
 * unknown or nothing was compared.
 */
function ratioStdError(c: PerCall): number | null {
  if (c.beforeVariance === null || c.afterVariance === null || c.beforeMs <= 0 || c.afterMs <= 0) return null;
  return round(
    c.ratio * Math.sqrt(c.afterVariance / c.afterMs ** 2 + c.beforeVariance / c.beforeMs ** 2),
    3,
  );
}

const plusMinus = (stdError: number | null) =>
  stdError === null ? "" : ` (± ${round(stdError * 100, 1)} at one standard error)`;

/**
 * The statements that ran in both windows, their calls since the build, and their time per call after over
 * before, each weighted by its calls in the estimate's window (`weights`); savedMs is the saving in those
 * terms (ms over the estimate's window).
 */
function perCall(
  weights: readonly ServedCalls[],
  before: ReadonlyMap<string, StatementTimes>,
  after: ReadonlyMap<string, StatementTimes>,
): PerCall {
  const compared = weights.filter((s) =>
    (before.get(s.queryid)?.calls ?? 0) > 0 && (after.get(s.queryid)?.calls ?? 0) > 0
  );
  const mean = (times: StatementTimes) => times.totalMs / times.calls;
  let beforeMs = 0, afterMs = 0, callsAfter = 0;
  let beforeVariance: number | null = 0, afterVariance: number | null = 0;
  for (const s of compared) {
    const b = before.get(s.queryid)!, a = after.get(s.queryid)!;
    beforeMs += mean(b) * s.calls;
    afterMs += mean(a) * s.calls;
    callsAfter += a.calls;
    // the weighted mean's variance: weight² × the per-call variance over the calls averaged
    beforeVariance = addKnown(beforeVariance, meanVariance(b, s.calls));
    afterVariance = addKnown(afterVariance, meanVariance(a, s.calls));
  }
  return {
    statements: compared.length,
    callsAfter,
    beforeMs,
    afterMs,
    savedMs: beforeMs - afterMs,
    ratio: beforeMs > 0 ? afterMs / beforeMs : 1,
    beforeVariance,
    afterVariance,
  };
}

/** What perCall() compared; each variance is that of its sum (ms²), null when unknown. */
interface PerCall {
  statements: number;
  callsAfter: number;
  beforeMs: number;
  afterMs: number;
  savedMs: number;
  ratio: number;
  beforeVariance: number | null;
  afterVariance: number | null;
}

/** The variance of `weight` × a statement's mean time per call; null without its sum of squares. */
function meanVariance(times: StatementTimes, weight: number): number | null {
  if (typeof times.sumSqMs !== "number") return null;
  const mean = times.totalMs / times.calls;
  // rounding can leave a variance of identical times a little below zero
  const perCallVariance = Math.max(0, times.sumSqMs / times.calls - mean ** 2);
  return weight ** 2 * perCallVariance / times.calls;
}
