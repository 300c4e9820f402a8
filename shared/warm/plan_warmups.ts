import type { OptimizationPriority } from "../config/config.ts";
import { percent } from "../correlate/statistics.ts";
import { reporterDefaults } from "../metrics/metric_reporter.ts";
import { HOUR_MS, MINUTE_MS } from "../time.ts";
import { arrivalRateDefaults, ArrivalRates, type MinuteCounts } from "./arrival_rate.ts";
import { idleRefreshLeadMs } from "./covering_ping.ts";
import type { IdleGaps } from "./idle_gaps.ts";
import { buys, paceBudget, pacedReason, type Pacing, windowCap } from "./pace_budget.ts";
import {
  chanceOf,
  type ExpectedArrivals,
  minBenefitByPriority,
  nextPing,
  type PingKind,
  type PlannedPing,
} from "./next_ping.ts";
import type { WorkerOptions, WorkerView } from "./worker_model.ts";

/**
 * The warmer's plan for the coming window (a minute: pg_cron's resolution): which functions to ping, when,
 * and why, within the hourly ping budget.
 *
 * 1. targets: a target backed off after failed pings is skipped until its back-off ends;
 * 2. worker: where the function's worker stands, from its last request (minute resolution: the rollups), its
 *    last ping and the boot that ping reported (`workerAgeMs`);
 * 3. probe: a function its traffic keeps warm, whose worker's boot is unknown (or belongs to a worker already
 *    retired), gets one ping to learn its age; the next runs boot its successor when its lifetime ends;
 * 4. pings: nextPing() again and again through the window, each planned ping moving the worker as it would;
 *    a refresh or pre-warm is dropped unsent when a request comes first (sendPings() looks just before), so a
 *    function its traffic keeps warm gets pings planned that it almost never receives;
 * 5. pace: the same planning goes on through the hour ahead, as if the window's pings were sent; a ping of
 *    the window is kept when it is among the likeliest that the hour's budget (`limits.warmPingsPerHour`)
 *    buys, and the window takes at most a share of the pings the hour has left (pace_budget.ts);
 * 6. budget: the pings likeliest to avoid a cold start when planned (their benefit times the chance that no
 *    request drops them; a probe ranks as the successor it makes possible) take the pings left in the hour,
 *    one each; the rest are skipped with the reason.
 */

/** What the warmer knows about one function. */
export interface WarmTargetInput {
  /** The function's name (its path under /functions/v1/). */
  fn: string;
  /** Its requests per minute (the metric store's rollups). */
  counts: MinuteCounts;
  /** The gaps between its requests, when known. */
  gaps: IdleGaps | null;
  /**
   * The last request's instant when it is known, else the last millisecond of the last minute with a request;
   * null when none is known.
   */
  lastRequestMs: number | null;
  /** The last ping sent to it; null when none. */
  lastPingMs: number | null;
  /** When the worker that answered the last ping booted (its time minus `workerAgeMs`); null when unknown. */
  bootedAtMs: number | null;
  /** The measured added latency of its cold starts; null until measured. */
  coldStartMs: number | null;
  /** Pings are not sent before this (back-off after failures); null when not backed off. */
  backedOffUntilMs: number | null;
  /** Pings an earlier run planned for now or later and has not sent yet (runs may overlap by a moment). */
  pendingPingsMs: readonly number[];
}

/** How the plan is made. */
export interface WarmPlanOptions {
  /**
   * The window planned: pings are planned in [now, now + windowMs], its end included, so that a ping due on
   * the minute is planned by the run before it; the next run starts after it.
   */
  windowMs: number;
  /** Sets the benefit thresholds (minBenefitByPriority). */
  priority: OptimizationPriority;
  /** The hour's budget (`limits.warmPingsPerHour`), paced (paceBudget()); Infinity: not paced. */
  pingsPerHour: number;
  /** Pings the hour's budget has left. */
  pingsLeft: number;
  /** The platform's idle timeout and worker lifetime. */
  workerOptions: WorkerOptions;
  /** Lead of a pre-warm when a function's cold start is not measured yet. */
  unmeasuredBootMs: number;
  /** The pre-warm search's step. */
  searchStepMs: number;
  /** A request is in the metric store at most this long after it came. */
  requestStoredWithinMs: number;
}

/**
 * What a warmer's ping is for: the planner's kinds, and `probe`: a ping to a function its traffic keeps warm,
 * sent only to learn its worker's age (the warm-up answer's `workerAgeMs`), so that the worker's successor can
 * be booted when its lifetime ends.
 */
export type WarmPingKind = PingKind | "probe";

/** A planned ping to a function. */
export interface WarmPing extends Omit<PlannedPing, "kind"> {
  /** The function to ping. */
  fn: string;
  /** What it is for. */
  kind: WarmPingKind;
  /**
   * A refresh or pre-warm is dropped unsent when the function has a request after this instant (epoch ms):
   * the last request the plan knew of, or the plan's start less `requestStoredWithinMs`, whichever is later
   * (a request stored after the plan began may have come before it). Null for a successor or a probe, which
   * traffic cannot make needless.
   */
  droppedAfterRequestSinceMs: number | null;
}

/** A function not pinged in the window, and why. */
export interface WarmSkip {
  /** The function. */
  fn: string;
  /** Why it gets no ping. */
  reason: string;
  /**
   * For a ping left out for `limits.warmPingsPerHour`: the chance it would have avoided a cold start (its
   * expected cold starts avoided times the chance that no request comes first), which the warm budget's
   * analyzer adds up. Absent for every other reason.
   */
  budgetChance?: number;
}

/** The plan: pings in time order, and the functions left alone with the reason. */
export interface WarmPlan {
  /** The pings, in time order. */
  pings: WarmPing[];
  /** The functions left alone, and the pings dropped for the budget. */
  skipped: WarmSkip[];
  /** How the budget was paced: the bar a ping had to reach, and the most pings the window could take. */
  pacing: Pacing;
}

/**
 * Defaults: a one-minute window; a pre-warm lead of 1 s until a cold start is measured (the local stack's boots
 * take 65–1,150 ms to the first response); requests stored within 2 s (the metric reporter sends its batch a
 * second after the batch's first event, reporterDefaults.flushIntervalMs, and the ingest takes well under
 * another).
 */
export const warmPlanDefaults: Omit<
  WarmPlanOptions,
  "priority" | "pingsPerHour" | "pingsLeft" | "workerOptions"
> = {
  windowMs: MINUTE_MS,
  unmeasuredBootMs: 1_000,
  searchStepMs: 10_000,
  requestStoredWithinMs: reporterDefaults.flushIntervalMs + 1_000,
};

/** Where a function's worker stands at `nowMs`, from what the warmer saw. */
export function estimateWorker(target: WarmTargetInput, nowMs: number, options: WorkerOptions): WorkerView {
  const lastUse = Math.max(target.lastRequestMs ?? -Infinity, target.lastPingMs ?? -Infinity);
  if (lastUse === -Infinity) return { liveUntilMs: null, retiresBy: null, bootedAtMs: null };
  // A boot whose lifetime ended before the last use was a predecessor's: the live worker's boot is unknown.
  const bootedAtMs = target.bootedAtMs !== null && target.bootedAtMs + options.maxLifetimeMs > lastUse
    ? target.bootedAtMs
    : null;
  const worker = workerAfterUse(lastUse, bootedAtMs, options);
  return worker.liveUntilMs! <= nowMs ? { liveUntilMs: null, retiresBy: null, bootedAtMs: null } : worker;
}

/** A worker last used at `lastUseMs`, booted at `bootedAtMs` (null: unknown, so no lifetime to reckon with). */
function workerAfterUse(lastUseMs: number, bootedAtMs: number | null, options: WorkerOptions): WorkerView {
  const byIdle = lastUseMs + options.idleTimeoutMs;
  const byLifetime = bootedAtMs === null ? Infinity : bootedAtMs + options.maxLifetimeMs;
  return {
    liveUntilMs: Math.min(byIdle, byLifetime),
    retiresBy: byLifetime <= byIdle ? "lifetime" : "idle",
    bootedAtMs,
  };
}

/** The worker right after a ping at `atMs`: refreshed, or a new one booted. */
function afterPing(worker: WorkerView, atMs: number, options: WorkerOptions): WorkerView {
  const live = worker.liveUntilMs !== null && worker.liveUntilMs > atMs;
  return workerAfterUse(atMs, live ? worker.bootedAtMs : atMs, options);
}

/** Of two estimates, the one expecting more requests in each window: each sees patterns the other misses. */
export function likelierArrivals(a: ExpectedArrivals, b: ExpectedArrivals): ExpectedArrivals {
  return { expected: (fromMs, toMs) => Math.max(a.expected(fromMs, toMs), b.expected(fromMs, toMs)) };
}

/** The gaps between requests speak only once there are this many. */
export const minGaps = 20;

/** Two pings to one function closer than this are one ping. */
const samePingMs = 1_000;

/** Beyond the window, the pre-warm search looks this far ahead at a time. */
const aheadSearchMs = MINUTE_MS;

/** Plans the pings of the window that starts at `nowMs`. */
export function planWarmups(
  targets: readonly WarmTargetInput[],
  nowMs: number,
  o: WarmPlanOptions,
): WarmPlan {
  const thresholds = minBenefitByPriority[o.priority];
  const windowEnd = nowMs + o.windowMs;
  // An unpaced plan need not look past its window.
  const aheadEnd = Number.isFinite(o.pingsPerHour) ? nowMs + HOUR_MS : windowEnd;
  const candidates: WarmPing[] = [];
  // The pings the hour after the window would want, planned as if the window's were sent: they set the bar.
  const ahead: WarmPing[] = [];
  // A probe avoids nothing itself; it ranks as the successor it makes possible.
  const rankOf = new Map<WarmPing, number>();
  const skipped: WarmSkip[] = [];
  for (const target of targets) {
    // Back-off: a target whose pings keep failing is not hammered.
    if (target.backedOffUntilMs !== null && target.backedOffUntilMs > nowMs) {
      skipped.push({
        fn: target.fn,
        reason: `backed off after failed pings until ${new Date(target.backedOffUntilMs).toISOString()}`,
      });
      continue;
    }
    const rates = new ArrivalRates(target.counts, nowMs, arrivalRateDefaults);
    const arrivals = target.gaps !== null && target.gaps.count >= minGaps && target.lastRequestMs !== null
      ? likelierArrivals(rates, target.gaps.after(target.lastRequestMs))
      : rates;
    const planOptions = {
      coldStartMs: target.coldStartMs,
      bootLeadMs: target.coldStartMs ?? o.unmeasuredBootMs,
      workerOptions: o.workerOptions,
      minBenefit: thresholds.refresh,
      minSuccessorBenefit: thresholds.successor,
      refreshLeadMs: Math.min(idleRefreshLeadMs, o.workerOptions.idleTimeoutMs / 2),
      searchHorizonMs: o.windowMs,
      searchStepMs: o.searchStepMs,
    };
    let worker = estimateWorker(target, nowMs, o.workerOptions);
    let at = nowMs;
    let planned = 0;
    // Probe: without the live worker's boot, its lifetime's end (and its successor's ping) cannot be planned.
    if (worker.liveUntilMs !== null && worker.bootedAtMs === null) {
      const successorChance = chanceOf(arrivals.expected(nowMs, nowMs + o.workerOptions.idleTimeoutMs));
      const idleSeconds = Math.round(o.workerOptions.idleTimeoutMs / 1000);
      if (successorChance >= thresholds.successor) {
        const probe: WarmPing = {
          fn: target.fn,
          atMs: nowMs,
          kind: "probe",
          expectedColdStartsAvoided: 0,
          expectedSavedMs: null,
          trafficFirstChance: 0,
          droppedAfterRequestSinceMs: null,
          reason: `learn the age of the worker its traffic keeps warm: its successor, booted when its ` +
            `lifetime ends, finds a request within ${idleSeconds} s with a chance of ` +
            `${percent(successorChance, 0)}`,
        };
        candidates.push(probe);
        rankOf.set(probe, successorChance);
        // The window holds only the probe; the hour ahead goes on from a worker of an average age.
        worker = workerAfterUse(nowMs, nowMs - o.workerOptions.maxLifetimeMs / 2, o.workerOptions);
        at = windowEnd + 1;
        planned++;
      }
    }
    // A request after this makes a refresh or pre-warm needless: one the plan could not have known of.
    const unknownRequestAfterMs = Math.max(
      nowMs - o.requestStoredWithinMs,
      target.lastRequestMs ?? -Infinity,
    );
    // Ping after ping through the window, each moving the worker as it will, then on through the hour ahead.
    let lastReason = "";
    // An earlier run's pings still to be sent, the earliest first: each is taken once, where it falls.
    const pending = [...target.pendingPingsMs].sort((a, b) => a - b);
    while (at <= aheadEnd) {
      const inWindow = at <= windowEnd;
      const next = nextPing(
        worker,
        at,
        arrivals,
        inWindow ? planOptions : { ...planOptions, searchHorizonMs: aheadSearchMs },
      );
      if (next.ping === null) {
        if (inWindow) lastReason = next.reason;
        // Nothing is due within the search's horizon: search on from its end.
        at = Math.max(at, worker.liveUntilMs ?? at) + (inWindow ? o.windowMs : aheadSearchMs) + 1;
        continue;
      }
      if (next.ping.atMs > aheadEnd) break;
      if (next.ping.atMs > windowEnd) {
        ahead.push({ ...next.ping, fn: target.fn, droppedAfterRequestSinceMs: null });
        worker = afterPing(worker, next.ping.atMs, o.workerOptions);
        at = next.ping.atMs + 1;
        continue;
      }
      // An earlier run's ping due by then stands for this one, at whatever instant that run chose (its plan
      // started from another `now`): the worker goes on from it, and nothing is planned twice.
      while (pending.length > 0 && pending[0] < at - samePingMs) pending.shift();
      const standIn = pending.length > 0 && pending[0] < next.ping.atMs + samePingMs
        ? pending.shift()!
        : null;
      const atMs = standIn === null ? next.ping.atMs : Math.max(standIn, at);
      if (standIn === null) {
        candidates.push({
          ...next.ping,
          fn: target.fn,
          droppedAfterRequestSinceMs: next.ping.kind === "successor" ? null : unknownRequestAfterMs,
        });
      }
      planned++;
      worker = afterPing(worker, atMs, o.workerOptions);
      at = atMs + 1;
    }
    if (planned === 0) skipped.push({ fn: target.fn, reason: lastReason || "no ping due in this window" });
  }
  // Budget: the pings most likely to avoid a cold start first; one that traffic will likely drop ranks low.
  const rank = (ping: WarmPing) =>
    rankOf.get(ping) ?? ping.expectedColdStartsAvoided * (1 - ping.trafficFirstChance);
  // Pace: the budget buys the likeliest pings of an hour; the rest of the window's wait for likelier ones.
  const bar = paceBudget([...candidates, ...ahead].map(rank), o.pingsPerHour);
  const ranked = [...candidates].sort((a, b) => rank(b) - rank(a));
  const described = (ping: WarmPing) =>
    `a ${ping.kind} ping at ${new Date(ping.atMs).toISOString()} with a chance of ${percent(rank(ping), 0)}`;
  const paced = ranked.filter((ping) => buys(bar, rank(ping), ping.fn));
  for (const ping of ranked.filter((ping) => !paced.includes(ping))) {
    skipped.push({
      fn: ping.fn,
      reason: `paced to limits.warmPingsPerHour: ${described(ping)} was ${pacedReason(bar, o.pingsPerHour)}`,
      budgetChance: rank(ping),
    });
  }
  // Spread: a window takes at most a share of what the hour has left, so a spell of likely pings cannot spend it.
  const cap = windowCap(o.pingsLeft, o.windowMs, o.pingsPerHour);
  const kept = paced.slice(0, cap);
  for (const ping of paced.slice(kept.length)) {
    skipped.push({
      fn: ping.fn,
      reason: kept.length < o.pingsLeft
        ? `paced to limits.warmPingsPerHour: ${
          described(ping)
        } was left for later: this window takes at most ` +
          `${cap} of the ${o.pingsLeft} pings the hour has left`
        : `over limits.warmPingsPerHour: ${described(ping)} was dropped for likelier ones`,
      budgetChance: rank(ping),
    });
  }
  return { pings: kept.sort((a, b) => a.atMs - b.atMs), skipped, pacing: { ...bar, windowCap: cap } };
}
