import type { OptimizationPriority } from "../config/config.ts";
import { percent as formatPercent } from "../correlate/statistics.ts";
import type { WorkerOptions, WorkerView } from "./worker_model.ts";

/**
 * The warm planner's one decision: when should this function's next ping go, and what is it worth?
 *
 * A ping at `x` keeps a worker live until x + idleTimeout. Without it, the worker is gone from `T` (its idle
 * deadline or the end of its lifetime, or now when none is live), and the first request after T is cold. So
 * the ping avoids one cold start exactly when the first request after T arrives by x + idleTimeout; with
 * requests arriving at the forecast rate (a Poisson process), that chance is 1 − e^(−Λ), Λ the expected
 * requests in (T, x + idleTimeout]. That chance is the ping's benefit in cold starts; times the measured
 * cold-start cost it is the milliseconds it saves. A ping is planned when its benefit reaches the priority's
 * threshold, so pings per avoided cold start stay near the threshold's inverse.
 *
 * A refresh or pre-warm that a request pre-empts is not sent: the simulation re-plans after every request, and
 * the warmer looks for requests just before it sends (sendPings()). So traffic never makes a ping needless
 * after it is sent, and a ping's worth is its benefit when it is sent; how likely traffic is to come first is
 * recorded beside it (`trafficFirstChance`), as the chance that it is dropped.
 *
 * Three kinds of ping, tried in this order:
 * - successor: a worker retiring at the end of its lifetime cannot be kept; a ping at that instant boots its
 *   successor for the requests that follow (traffic cannot prevent this retirement, so busy functions need it
 *   most);
 * - refresh: a worker about to reach its idle deadline is pinged just before it;
 * - pre-warm: with no worker live, a boot `bootLeadMs` before the first moment demand is likely enough, so
 *   the boot is done when it comes.
 */

/** What a warm-up is for. */
export type PingKind = "successor" | "refresh" | "pre-warm";

/** Expected requests of one function in an interval (ArrivalRates, or a stored forecast). */
export interface ExpectedArrivals {
  /** Expected requests in (fromMs, toMs]. */
  expected(fromMs: number, toMs: number): number;
}

/** A ping the planner wants, with its reason in figures. */
export interface PlannedPing {
  /** When to send it. */
  atMs: number;
  /** What it is for. */
  kind: PingKind;
  /** The chance that the ping avoids a cold start: the expected cold starts it avoids. */
  expectedColdStartsAvoided: number;
  /** expectedColdStartsAvoided × the measured cold-start cost; null while that cost is not measured. */
  expectedSavedMs: number | null;
  /**
   * The chance that a request reaches the worker before the ping, which then goes unsent (0 for a successor,
   * which traffic cannot make needless: the worker retires all the same).
   */
  trafficFirstChance: number;
  /** One sentence with the figures behind the ping. */
  reason: string;
}

/** A ping, or why there is none. */
export type NextPing = { ping: PlannedPing; reason?: never } | { ping: null; reason: string };

/** How the planner decides. */
export interface PingPlanOptions {
  /** The measured added latency of a cold start; null while not measured (no saving is then claimed). */
  coldStartMs: number | null;
  /** A pre-warm boots this long before the demand: the boot time, measured or assumed. */
  bootLeadMs: number;
  /** The platform's idle timeout and worker lifetime. */
  workerOptions: WorkerOptions;
  /** A refresh or pre-warm ping needs at least this chance of avoiding a cold start. */
  minBenefit: number;
  /** A successor ping needs at least this chance. */
  minSuccessorBenefit: number;
  /** A refresh goes this long before the idle deadline: time for the ping to reach the worker. */
  refreshLeadMs: number;
  /** How far ahead a pre-warm is looked for. */
  searchHorizonMs: number;
  /** The pre-warm search steps through time by this much. */
  searchStepMs: number;
}

/**
 * Benefit thresholds per priority, measured with `npm run bench:sim` on the 14-day reference trace (seed 1;
 * docs/warming.md): performance avoids 99.0 % of what an oracle avoids at 1.42 pings per avoided cold start,
 * reliability 97.0 % at 1.33, cost 92.4 % at 1.22 (the histogram policy: 92.6 % at 1.24). A successor is the
 * one ping traffic cannot make needless (a busy worker retires all the same), so its threshold stays low; on the
 * reference trace it hardly matters (a sweep of the same simulation with the thresholds edited): at the
 * reliability threshold, successor thresholds from 0.1 to 0.3 gave the same figures and 0.5 lost 0.4 points
 * of share.
 */
export const minBenefitByPriority: Record<OptimizationPriority, { refresh: number; successor: number }> = {
  performance: { refresh: 0.3, successor: 0.1 },
  reliability: { refresh: 0.5, successor: 0.1 },
  cost: { refresh: 0.7, successor: 0.1 },
};

/** The chance of at least one request when `expected` are expected (Poisson arrivals). */
export const chanceOf = (expected: number): number => 1 - Math.exp(-expected);
/** A chance as a whole percentage, `30 %`. */
const percent = (chance: number) => formatPercent(chance, 0);

function planned(
  atMs: number,
  kind: PingKind,
  chance: number,
  trafficFirstChance: number,
  o: PingPlanOptions,
  why: string,
): NextPing {
  const savedMs = o.coldStartMs === null ? null : chance * o.coldStartMs;
  const saving = savedMs === null
    ? "; its cold-start cost is not measured yet"
    : `, saving ${Math.round(savedMs)} ms of cold start on average`;
  const dropped = trafficFirstChance > 0
    ? `; dropped if a request comes first (a chance of ${percent(trafficFirstChance)})`
    : "";
  return {
    ping: {
      atMs,
      kind,
      expectedColdStartsAvoided: chance,
      expectedSavedMs: savedMs,
      trafficFirstChance,
      reason: `${why}: a request follows in time with a chance of ${percent(chance)}${saving}${dropped}`,
    },
  };
}

/**
 * The next ping for a function whose worker is `worker` at `nowMs`, given the expected arrivals; or why there
 * is none before the next request.
 */
export function nextPing(
  worker: WorkerView,
  nowMs: number,
  arrivals: ExpectedArrivals,
  o: PingPlanOptions,
): NextPing {
  const idle = o.workerOptions.idleTimeoutMs;
  const liveUntil = worker.liveUntilMs !== null && worker.liveUntilMs > nowMs ? worker.liveUntilMs : null;

  // Successor: boot at the instant the lifetime ends, for the requests of the following idle window.
  if (liveUntil !== null && worker.retiresBy === "lifetime") {
    const chance = chanceOf(arrivals.expected(liveUntil, liveUntil + idle));
    if (chance >= o.minSuccessorBenefit) {
      return planned(liveUntil, "successor", chance, 0, o, "the worker's lifetime ends; boot its successor");
    }
  }

  // Refresh: ping just before the idle deadline, for the requests that would otherwise find the worker gone.
  if (liveUntil !== null && worker.retiresBy === "idle") {
    const atMs = Math.max(nowMs, liveUntil - o.refreshLeadMs);
    const chance = chanceOf(arrivals.expected(liveUntil, atMs + idle));
    if (chance >= o.minBenefit) {
      const trafficFirst = chanceOf(arrivals.expected(nowMs, atMs));
      return planned(atMs, "refresh", chance, trafficFirst, o, "the worker reaches its idle deadline");
    }
  }

  // Pre-warm: the earliest boot whose window is likely enough to hold the first request after the worker is gone.
  const from = liveUntil ?? nowMs;
  // Given no request before the window (one would drop the ping): the chance it holds the first one after `from`.
  let noneYet = 1;
  let best = 0;
  for (let t = from; t <= from + o.searchHorizonMs; t += o.searchStepMs) {
    // Quiet spells (nights, weekends) are crossed a window at a time: nothing in them changes the answer.
    while (t <= from + o.searchHorizonMs && arrivals.expected(t, t + idle + o.searchStepMs) === 0) t += idle;
    const chance = noneYet * chanceOf(arrivals.expected(t, t + idle));
    if (chance >= o.minBenefit) {
      const atMs = Math.max(nowMs, t - o.bootLeadMs);
      const trafficFirst = chanceOf(arrivals.expected(nowMs, atMs));
      return planned(atMs, "pre-warm", chance, trafficFirst, o, "demand is expected after an idle spell");
    }
    best = Math.max(best, chance);
    noneYet *= Math.exp(-arrivals.expected(t, t + o.searchStepMs));
    // Every later window holds the first request with a chance below noneYet.
    if (noneYet < o.minBenefit) break;
  }
  return {
    ping: null,
    reason: `no ping reaches ${percent(o.minBenefit)}: the likeliest avoids a cold start with a chance of ${
      percent(best)
    } within ${Math.round(o.searchHorizonMs / 60_000)} min`,
  };
}
