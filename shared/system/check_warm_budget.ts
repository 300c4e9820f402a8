import type { BudgetedFunction } from "../analyze/warm_budget.ts";
import type { VerificationConfig } from "../config/config.ts";
import { rateDifferenceVariance } from "../correlate/statistics.ts";
import { type EstimatedGain, measuredGain, type Window } from "../finding/finding.ts";
import { roundTo } from "./round.ts";
import { type BudgetCheck, relativeError } from "./verify_gain.ts";

/**
 * Whether a raised warm budget (an applied `warm.budget-short` finding) avoided the cold starts it was
 * estimated to, measured on the functions it was raised for, per request, so that a busier or quieter hour
 * is neither a gain nor a loss:
 *
 * 1. enough: the functions have served at least minCalls requests since the apply, else the check waits;
 * 2. per request: each function's cold starts per request in the estimate's window (as the finding states
 *    them) and since the apply;
 * 3. measured gain: the cold starts per request avoided, times the function's requests in the estimate's
 *    window, times the boot's cost the finding measured, added up: the estimate's own terms (ms over that
 *    window), so the two compare; with its standard error, each cold-start rate a binomial proportion of its
 *    requests;
 * 4. verdict: `unused` when the pings the budget bought avoided no cold starts (no fewer per request than
 *    before), else `kept`.
 */

/** A function's requests and cold starts over a window. */
export interface ColdStartCounts {
  /** Requests served. */
  requests: number;
  /** Those that met a cold start. */
  coldStarts: number;
}

/** What a check reads. */
export interface WarmBudgetCheckInput {
  /** The finding's estimate: ms of boots avoided over its window. */
  estimate: EstimatedGain;
  /** The functions the finding counted, with their figures in its window. */
  functions: BudgetedFunction[];
  /** A boot's cost as the finding measured it, ms. */
  bootMs: number;
  /** Each function's figures since the apply, by name. */
  after: ReadonlyMap<string, ColdStartCounts>;
  /** From the apply to now. */
  afterWindow: Window;
}

/** The outcome of one check. */
export type WarmBudgetCheck = BudgetCheck;

/** The method a measured gain names. */
export const warmBudgetGainMethod: string =
  "cold starts per request of the functions the budget was raised for (the metric store's rollups), in the " +
  "estimate's window and since the apply, the rate avoided times the estimate window's requests times the " +
  "boot's measured cost";

const round = (value: number, digits = 2) => roundTo(value, digits);

/** Pure: checks one raised warm budget (see the top of this file). */
export function checkWarmBudget(
  input: WarmBudgetCheckInput,
  options: Pick<VerificationConfig, "minCalls">,
): WarmBudgetCheck {
  // 1. enough requests since the apply, of functions that had some before
  const compared = input.functions.filter((f) =>
    f.requests > 0 && (input.after.get(f.fn)?.requests ?? 0) > 0
  );
  const requestsAfter = compared.reduce((sum, f) => sum + input.after.get(f.fn)!.requests, 0);
  if (requestsAfter < options.minCalls) {
    return {
      verdict: "pending",
      reason:
        `${requestsAfter} request(s) of the warmed functions since the apply: verification.minCalls is ` +
        `${options.minCalls}`,
    };
  }

  // 2 and 3. per-request rates, and the boots avoided in the estimate's terms
  let avoided = 0, avoidedVariance = 0, coldBefore = 0, coldAfter = 0;
  for (const f of compared) {
    const after = input.after.get(f.fn)!;
    const before = f.coldStarts / f.requests;
    const since = after.coldStarts / after.requests;
    avoided += (before - since) * f.requests;
    avoidedVariance += f.requests ** 2 * rateDifferenceVariance(before, f.requests, since, after.requests);
    coldBefore += f.coldStarts;
    coldAfter += since * f.requests;
  }
  const savedMs = avoided * input.bootMs;
  const stdError = round(Math.sqrt(avoidedVariance) * input.bootMs);
  const measured = measuredGain(round(savedMs), input.estimate.unit, input.afterWindow, warmBudgetGainMethod);
  const error = relativeError(input.estimate.value, savedMs);
  const requestsBefore = compared.reduce((sum, f) => sum + f.requests, 0);
  const measuredText = `${compared.length} function(s), ${requestsAfter} request(s) since the apply: ` +
    `${round((coldBefore / requestsBefore) * 100, 1)} % of requests started cold before, ` +
    `${round((coldAfter / requestsBefore) * 100, 1)} % since (weighted by the estimate window's requests), ` +
    `${round(avoided, 1)} cold starts avoided of ${input.bootMs} ms each: a measured saving of ${
      round(savedMs)
    } ms (± ${stdError} at one standard error) against the ${input.estimate.value} ms estimated`;

  // 4. the verdict
  if (!(avoided > 0)) {
    return {
      verdict: "unused",
      reason: `the pings the raised budget bought avoided no cold starts; ${measuredText}`,
      measured,
      stdError,
      relativeError: error,
    };
  }
  return { verdict: "kept", reason: measuredText, measured, stdError, relativeError: error };
}
