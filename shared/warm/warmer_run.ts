import { planCacheRefreshes } from "../cache/refresh_ahead.ts";
import type { PlannedRefresh, RefreshPlan, RefreshSkip } from "../cache/plan_refreshes.ts";
import type { RefreshStore } from "../cache/refresh_store.ts";
import type { OptimizationConfig } from "../config/config.ts";
import { recordedRun, type RunTrigger } from "../db/run_log.ts";
import { SECOND_MS } from "../time.ts";
import type { Pacing } from "./pace_budget.ts";
import { planWarmups, type WarmPing, warmPlanDefaults, type WarmSkip } from "./plan_warmups.ts";
import type { PingToSend } from "./send_pings.ts";
import type { WarmerStore } from "./warmer_store.ts";

/**
 * A warmer run: plan the coming minute's pings for every warm target within what the hour's budget has left,
 * store the plan, and hand back the pings to send at their instants (the caller sends them in the background
 * and the run's answer does not wait for them).
 *
 * 1. run: recorded as started (module `warmer`);
 * 2. window: the coming minute, cut short when the worker that sends the pings (the one serving this run) will
 *    be retired before its end: it lives `platform.workerLifetimeSeconds` from its boot like any other, and the
 *    pings it has not sent by then are lost;
 * 3. budget: `limits.warmPingsPerHour` less the pings planned in the hour before now;
 * 4. plan: planWarmups() over every enabled target in that window, at `optimization.priority`, for workers
 *    that live as `platform` says;
 * 5. refresh-ahead: the shared-cache entries to reload through their named loaders before they expire
 *    (planCacheRefreshes());
 * 6. store: the planned pings, each with its expected cold starts avoided, its saving and its reason;
 * 7. run: recorded with the plan as its summary, or as failed with the error.
 */

/** Refresh-ahead's part of a plan: the reloads, and the first `maxSkipsShown` entries left alone of all. */
export interface RefreshPlanShown {
  /** The reloads, each with its instant as ISO 8601. */
  planned: (Omit<PlannedRefresh, "atMs"> & { at: string })[];
  /** The first entries left alone, with the reason. */
  skipped: RefreshSkip[];
  /** All the entries left alone. */
  skippedTotal: number;
}

/** Room a ping needs before the sending worker's retirement: to be sent, answered and recorded. */
const senderMarginMs = 2_000;

/** Entries left alone that a plan lists (a run is stored every minute: the reasons of thousands would bloat it). */
const maxSkipsShown = 50;

function showRefreshes(plan: RefreshPlan): RefreshPlanShown {
  return {
    planned: plan.refreshes.map(({ atMs, ...refresh }) => ({ at: new Date(atMs).toISOString(), ...refresh })),
    skipped: plan.skipped.slice(0, maxSkipsShown),
    skippedTotal: plan.skipped.length,
  };
}

/** A planned ping as a run's answer shows it, its instants as ISO 8601. */
export type ShownPing = Omit<WarmPing, "atMs" | "droppedAfterRequestSinceMs"> & {
  /** When it is sent. */
  at: string;
  /** A refresh or pre-warm is dropped unsent when the function has a request after this; null: never. */
  droppedIfRequestAfter: string | null;
};

/** What a run planned. */
export interface WarmerRunSummary {
  /** The run (optimizer.runs) it was recorded as. */
  runId: string;
  /** When it started. */
  startedAt: string;
  /** The window planned: [from, to], and why it ends before the minute does (null when it does not). */
  window: PlanWindow;
  /** The hour's budget left before this plan. */
  pingsLeft: number;
  /** How the budget was paced: the bar a ping had to reach, and the most pings the window could take. */
  pacing: Pacing;
  /** The planned pings, in time order, with their stored ids. */
  pings: (ShownPing & { id: string })[];
  /** The targets left alone in this window, with the reason. */
  skipped: WarmSkip[];
  /** The cache entries to reload in this window. */
  refreshes: RefreshPlanShown;
}

/** What the warmer would do in the window that starts at `now`: nothing stored, nothing sent. */
export interface WarmerPlan {
  /** The window planned: [from, to], and why it ends before the minute does (null when it does not). */
  window: PlanWindow;
  /** The hour's budget left before this plan. */
  pingsLeft: number;
  /** How the budget was paced: the bar a ping had to reach, and the most pings the window could take. */
  pacing: Pacing;
  /** The planned pings, in time order. */
  pings: WarmPing[];
  /** The targets left alone in this window, with the reason. */
  skipped: WarmSkip[];
  /** The cache entries to reload in this window, and those left alone. */
  refreshes: RefreshPlan;
}

/** The window a plan covers. */
export interface PlanWindow {
  /** Its start, ISO 8601. */
  from: string;
  /** Its end, ISO 8601. */
  to: string;
  /** Why it ends before the minute does; null when it does not. */
  cutShort: string | null;
  /**
   * When the worker sending the pings is retired (ISO 8601; null: its age is unknown). pg_cron's handoff job
   * asks for a run just after it when that falls before the next minute's run
   * (optimizer.request_warmer_handoff()).
   */
  senderRetiresAt: string | null;
}

/**
 * The coming window's plan from what the store knows at `now`, within the hour's budget. `senderAgeMs` is the
 * age of the worker that will send the pings (null: unknown, the whole minute is planned).
 */
export async function planWarmerWindow(
  store: Pick<WarmerStore, "pingsInLastHour" | "targets">,
  refreshes: Pick<RefreshStore, "candidates" | "lookupCosts">,
  now: Date,
  config: Pick<OptimizationConfig, "limits" | "optimization" | "platform">,
  senderAgeMs: number | null = null,
): Promise<WarmerPlan> {
  const lifetimeMs = config.platform.workerLifetimeSeconds * SECOND_MS;
  const sendableMs = senderAgeMs === null ? Infinity : lifetimeMs - senderAgeMs - senderMarginMs;
  const windowMs = Math.max(0, Math.floor(Math.min(warmPlanDefaults.windowMs, sendableMs)));
  const spent = await store.pingsInLastHour(now);
  const pingsLeft = Math.max(0, config.limits.warmPingsPerHour - spent);
  const plan = planWarmups(await store.targets(now), now.getTime(), {
    ...warmPlanDefaults,
    windowMs,
    priority: config.optimization.priority,
    pingsPerHour: config.limits.warmPingsPerHour,
    pingsLeft,
    workerOptions: {
      idleTimeoutMs: config.platform.workerIdleTimeoutSeconds * SECOND_MS,
      maxLifetimeMs: config.platform.workerLifetimeSeconds * SECOND_MS,
    },
  });
  return {
    window: {
      from: now.toISOString(),
      to: new Date(now.getTime() + windowMs).toISOString(),
      cutShort: windowMs < warmPlanDefaults.windowMs
        ? `this warmer worker, ${Math.round(senderAgeMs! / SECOND_MS)} s old, is retired ${
          Math.round(lifetimeMs / SECOND_MS)
        } s after its boot, and its background sends with it: pings and reloads due later are left to the run ` +
          `pg_cron asks for once it is gone`
        : null,
      senderRetiresAt: senderAgeMs === null
        ? null
        : new Date(now.getTime() + lifetimeMs - senderAgeMs).toISOString(),
    },
    pingsLeft,
    pacing: plan.pacing,
    pings: plan.pings,
    skipped: plan.skipped,
    refreshes: await planCacheRefreshes(refreshes, now, config.optimization.priority, windowMs),
  };
}

/** A plan as it is answered: instants as ISO 8601, the cache entries left alone capped. */
export function showPlan(
  plan: WarmerPlan,
): Omit<WarmerPlan, "pings" | "refreshes"> & {
  pings: ShownPing[];
  refreshes: RefreshPlanShown;
} {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    ...plan,
    pings: plan.pings.map(({ atMs, droppedAfterRequestSinceMs, ...ping }) => ({
      at: iso(atMs),
      ...ping,
      droppedIfRequestAfter: droppedAfterRequestSinceMs === null ? null : iso(droppedAfterRequestSinceMs),
    })),
    refreshes: showRefreshes(plan.refreshes),
  };
}

/** Plans and stores one window's pings and reloads; returns the summary, the pings to send and the reloads. */
export async function runWarmer(
  store: WarmerStore,
  refreshes: Pick<RefreshStore, "candidates" | "lookupCosts">,
  input: {
    trigger: RunTrigger;
    now: Date;
    config: Pick<OptimizationConfig, "limits" | "optimization" | "platform">;
    /** The age of the worker that will send the pings; null: unknown. */
    senderAgeMs: number | null;
  },
): Promise<{ summary: WarmerRunSummary; toSend: PingToSend[]; toRefresh: PlannedRefresh[] }> {
  const { now, config } = input;
  let toSend: PingToSend[] = [];
  let toRefresh: PlannedRefresh[] = [];
  const summary = await recordedRun(store, input.trigger, now, async (runId): Promise<WarmerRunSummary> => {
    const plan = await planWarmerWindow(store, refreshes, now, config, input.senderAgeMs);
    toRefresh = plan.refreshes.refreshes;
    const ids = await store.recordPlan(runId, plan.pings);
    toSend = plan.pings.map((ping, k) => ({
      id: ids[k],
      fn: ping.fn,
      atMs: ping.atMs,
      droppedAfterRequestSinceMs: ping.droppedAfterRequestSinceMs,
    }));
    const shown = showPlan(plan);
    return {
      runId,
      startedAt: now.toISOString(),
      ...shown,
      pings: shown.pings.map((ping, k) => ({ id: ids[k], ...ping })),
    };
  });
  return { summary, toSend, toRefresh };
}
