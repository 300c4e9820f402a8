import type { VerificationConfig } from "../config/config.ts";
import { rateDifferenceVariance } from "../correlate/statistics.ts";
import { type EstimatedGain, measuredGain, type Window } from "../finding/finding.ts";
import { roundTo } from "./round.ts";
import { type BudgetCheck, relativeError } from "./verify_gain.ts";

/**
 * Whether a raised cache budget (an applied `cache.evictions-over-budget` finding) bought the hits it was
 * estimated to, measured on the namespace it was raised for, per lookup, so that a busier or quieter hour is
 * neither a gain nor a loss:
 *
 * 1. enough: the namespace has served at least minCalls lookups since the apply, else the check waits;
 * 2. hit rates: its hits per lookup in the estimate's window and since the apply;
 * 3. measured gain: the hit rate since the apply less the one before: the estimate's own terms (hit rate), so
 *    the two compare; with its standard error, each hit rate a binomial proportion of its lookups;
 * 4. verdict: `unused` when the raised budget bought no hits (the hit rate is no higher than before), else
 *    `kept`.
 */

/** A namespace's lookups over a window. */
export interface LookupCounts {
  /** Lookups that found a value. */
  hits: number;
  /** Lookups that did not. */
  misses: number;
}

/** What a check reads. */
export interface CacheBudgetCheckInput {
  /** The finding's estimate: the hit rate the misses its evictions caused would add. */
  estimate: EstimatedGain;
  /** The namespace the budget was raised for. */
  namespace: string;
  /** Its lookups in the estimate's window. */
  before: LookupCounts;
  /** Its lookups since the apply. */
  after: LookupCounts;
  /** From the apply to now. */
  afterWindow: Window;
}

/** The outcome of one check. */
export type CacheBudgetCheck = BudgetCheck;

/** The method a measured gain names. */
export const cacheBudgetGainMethod: string =
  "hits per lookup of the namespace the budget was raised for (the metric store's rollups), since the apply " +
  "less in the estimate's window";

const round = (value: number, digits = 4) => roundTo(value, digits);
const lookupsOf = (counts: LookupCounts) => counts.hits + counts.misses;

/** Pure: checks one raised cache budget (see the top of this file). */
export function checkCacheBudget(
  input: CacheBudgetCheckInput,
  options: Pick<VerificationConfig, "minCalls">,
): CacheBudgetCheck {
  // 1. enough lookups since the apply, of a namespace that had some before
  const lookupsAfter = lookupsOf(input.after);
  if (lookupsOf(input.before) === 0 || lookupsAfter < options.minCalls) {
    return {
      verdict: "pending",
      reason: `${lookupsAfter} lookup(s) of namespace ${input.namespace} since the apply, ` +
        `${lookupsOf(input.before)} in the estimate's window: verification.minCalls is ${options.minCalls}`,
    };
  }

  // 2 and 3. hit rates, and the gain in the estimate's terms
  const before = input.before.hits / lookupsOf(input.before);
  const since = input.after.hits / lookupsAfter;
  const gain = since - before;
  const stdError = round(
    Math.sqrt(rateDifferenceVariance(before, lookupsOf(input.before), since, lookupsAfter)),
  );
  const measured = measuredGain(round(gain), input.estimate.unit, input.afterWindow, cacheBudgetGainMethod);
  const error = relativeError(input.estimate.value, gain);
  const gainText = `a measured gain of ${round(gain)} (± ${stdError} at one standard error)`;
  const measuredText = `namespace ${input.namespace}, ${lookupsAfter} lookup(s) since the apply: hit rate ` +
    `${round(before * 100, 1)} % before, ${round(since * 100, 1)} % since: ${gainText} against the ` +
    `${input.estimate.value} estimated`;

  // 4. the verdict
  if (!(gain > 0)) {
    return {
      verdict: "unused",
      reason: `the raised budget bought no hits; ${measuredText}`,
      measured,
      stdError,
      relativeError: error,
    };
  }
  return { verdict: "kept", reason: measuredText, measured, stdError, relativeError: error };
}
