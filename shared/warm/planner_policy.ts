import type { OptimizationPriority } from "../config/config.ts";
import { MINUTE_MS } from "../time.ts";
import {
  arrivalRateDefaults,
  type ArrivalRateOptions,
  ArrivalRates,
  checkArrivalRateOptions,
  GrowingMinuteCounts,
} from "./arrival_rate.ts";
import { idleRefreshLeadMs } from "./covering_ping.ts";
import { minBenefitByPriority, nextPing } from "./next_ping.ts";
import { likelierArrivals, minGaps } from "./plan_warmups.ts";
import { IdleGaps } from "./idle_gaps.ts";
import type { WarmingPolicy } from "./policy.ts";

/** How the planner runs as a warming policy. */
export interface PlannerPolicyOptions {
  /** Sets the benefit thresholds (minBenefitByPriority). */
  priority: OptimizationPriority;
  /** How the rate is estimated. */
  arrivalRates: ArrivalRateOptions;
  /** How far ahead a pre-warm is looked for. */
  searchHorizonMs: number;
  /** The pre-warm search's step. */
  searchStepMs: number;
  /** The gaps between requests speak only once there are this many. */
  minGaps: number;
}

/** Defaults: the performance priority, a pre-warm looked for up to an hour ahead in 10-second steps. */
export const plannerPolicyDefaults: PlannerPolicyOptions = {
  priority: "performance",
  arrivalRates: arrivalRateDefaults,
  searchHorizonMs: 60 * MINUTE_MS,
  searchStepMs: 10_000,
  minGaps,
};

/**
 * The suite's warm planner (nextPing()) as a warming policy, so that the simulation compares it with the
 * fixed warmers, the histogram policy and the oracle on the same requests. It learns the arrival rate from the
 * requests it has seen and is asked again after every request and every minute, so a request cancels the ping
 * it pre-empts.
 */
export function plannerPolicy(options: Partial<PlannerPolicyOptions> = {}): WarmingPolicy {
  const o = { ...plannerPolicyDefaults, ...options };
  checkArrivalRateOptions(o.arrivalRates);
  if (!(o.searchStepMs > 0 && o.searchHorizonMs >= 0)) {
    throw new RangeError(
      `plannerPolicy: searchStepMs must be > 0 and searchHorizonMs >= 0: got ${o.searchStepMs}, ${o.searchHorizonMs}`,
    );
  }
  const thresholds = minBenefitByPriority[o.priority];
  return {
    name: `planner (${o.priority})`,
    description:
      `the suite's planner, priority ${o.priority}: a ping when its chance of avoiding a cold start ` +
      `reaches ${thresholds.refresh} (${thresholds.successor} for a lifetime successor), chances from the ` +
      `likelier of the rate (same minute of the last ${o.arrivalRates.seasonDays} days, last ` +
      `${o.arrivalRates.recentMinutes} minutes) and the gaps between requests (from ${o.minGaps} gaps)`,
    // The warmer plans every minute; so does the policy, which lets it wake for demand after a quiet spell.
    replanEveryMs: MINUTE_MS,
    forFunction: () => {
      const counts = new GrowingMinuteCounts();
      const gaps = new IdleGaps();
      let learned = 0;
      return (context) => {
        const { history, pings, nowMs } = context;
        for (; learned < history.length; learned++) {
          counts.add(history.at(learned));
          if (learned > 0) gaps.add(history.at(learned) - history.at(learned - 1));
        }
        if (history.length === 0) return null;
        const rates = new ArrivalRates(counts, nowMs, o.arrivalRates);
        const arrivals = gaps.count < o.minGaps
          ? rates
          : likelierArrivals(rates, gaps.after(history.at(history.length - 1)));
        const { ping } = nextPing(context.worker, nowMs, arrivals, {
          coldStartMs: context.coldStartMs,
          bootLeadMs: context.coldStartMs,
          workerOptions: context.workerOptions,
          minBenefit: thresholds.refresh,
          minSuccessorBenefit: thresholds.successor,
          refreshLeadMs: Math.min(idleRefreshLeadMs, context.workerOptions.idleTimeoutMs / 2),
          searchHorizonMs: Math.min(o.searchHorizonMs, context.endMs - nowMs),
          searchStepMs: o.searchStepMs,
        });
        if (ping === null) return null;
        // Two plans can land on one instant (a successor at the lifetime's end right after a ping); one ping does.
        const lastPing = pings.length > 0 ? pings.at(pings.length - 1) : -Infinity;
        return Math.max(ping.atMs, lastPing + 1);
      };
    },
  };
}
