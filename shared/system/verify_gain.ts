import type { VerificationConfig } from "../config/config.ts";
import { type EstimatedGain, type MeasuredGain, measuredGain, type Window } from "../finding/finding.ts";
import { roundTo } from "./round.ts";

/**
 * Whether an index the suite built gained what it was estimated to, measured on the statements it was built
 * for, per call, so that a busier or quieter hour does not pass for a gain or a loss:
 *
 * 1. enough: the statements have run at least minCalls times since the build, else the check waits;
 * 2. per call: each statement's mean execution time in the estimate's window and since the build;
 * 3. measured gain: the per-call saving of each, times its calls in the estimate's window, added up: the
 *    estimate's own terms (ms over that window), so the two compare;
 * 4. verdict: `unused` when the planner never scanned the index since it was built, `degraded` when the
 *    statements take more than degradationRatio longer per call than before (weighted by their calls in the
 *    estimate's window), else `kept`.
 */

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
  const compared = input.served.filter((s) =>
    (input.before.get(s.queryid)?.calls ?? 0) > 0 && (input.after.get(s.queryid)?.calls ?? 0) > 0
  );
  const callsAfter = compared.reduce((sum, s) => sum + input.after.get(s.queryid)!.calls, 0);
  if (callsAfter < options.minCalls) {
    return {
      verdict: "pending",
      reason: `${callsAfter} call(s) of the statements it was built for since the build, in the estimate's ` +
        `window too: verification.minCalls is ${options.minCalls}`,
    };
  }

  // 2 and 3. per-call means, and the saving in the estimate's terms
  const mean = (times: StatementTimes) => times.totalMs / times.calls;
  let savedMs = 0, beforeMs = 0, afterMs = 0;
  for (const s of compared) {
    const before = mean(input.before.get(s.queryid)!) * s.calls;
    const after = mean(input.after.get(s.queryid)!) * s.calls;
    savedMs += before - after;
    beforeMs += before;
    afterMs += after;
  }
  const measured = measuredGain(round(savedMs), input.estimate.unit, input.afterWindow, indexGainMethod);
  const error = relativeError(input.estimate.value, savedMs);
  const perCallRatio = beforeMs > 0 ? round(afterMs / beforeMs, 3) : 1;
  const measuredText = `${compared.length} statement(s), ${callsAfter} call(s) since the build: per call ` +
    `${round(perCallRatio * 100, 1)} % of their time before, a measured saving of ${
      round(savedMs)
    } ms against ` +
    `the ${input.estimate.value} ms estimated over the estimate's window`;

  // 4. the verdict
  if (input.indexScans === 0) {
    return {
      verdict: "unused",
      reason: `the planner has not scanned the index since it was built; ${measuredText}`,
      measured,
      relativeError: error,
      perCallRatio,
    };
  }
  if (perCallRatio > 1 + options.degradationRatio) {
    return {
      verdict: "degraded",
      reason: `the statements it was built for are slower per call than before it, beyond ` +
        `verification.degradationRatio ${options.degradationRatio}: ${measuredText}`,
      measured,
      relativeError: error,
      perCallRatio,
    };
  }
  return { verdict: "kept", reason: measuredText, measured, relativeError: error, perCallRatio };
}
