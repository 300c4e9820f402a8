import type { OptimizationConfig } from "../config/config.ts";
import { recordedRun } from "../db/run_log.ts";
import { SECOND_MS } from "../time.ts";
import { planWarmups, type WarmPing, warmPlanDefaults, type WarmSkip } from "./plan_warmups.ts";
import type { PingToSend } from "./send_pings.ts";
import type { WarmerStore } from "./warmer_store.ts";

/**
 * A warmer run: plan the coming minute's pings for every warm target within what the hour's budget has left,
 * store the plan, and hand back the pings to send at their instants (the caller sends them in the background
 * and the run's answer does not wait for them).
 *
 * 1. run: recorded as started (module `warmer`);
 * 2. budget: `limits.warmPingsPerHour` less the pings planned in the hour before now;
 * 3. plan: planWarmups() over every enabled target, at `optimization.priority`, for workers that live as
 *    `platform` says;
 * 4. store: the planned pings, each with its expected cold starts avoided, its saving and its reason;
 * 5. run: recorded with the plan as its summary, or as failed with the error.
 */

/** What a run planned. */
export interface WarmerRunSummary {
  /** The run (optimizer.runs) it was recorded as. */
  runId: string;
  /** When it started. */
  startedAt: string;
  /** The window planned: [from, to]. */
  window: { from: string; to: string };
  /** The hour's budget left before this plan. */
  pingsLeft: number;
  /** The planned pings, in time order, with their stored ids. */
  pings: (Omit<WarmPing, "atMs"> & { id: string; at: string })[];
  /** The targets left alone in this window, with the reason. */
  skipped: WarmSkip[];
}

/** What the warmer would do in the window that starts at `now`: nothing stored, nothing sent. */
export interface WarmerPlan {
  /** The window planned: [from, to]. */
  window: { from: string; to: string };
  /** The hour's budget left before this plan. */
  pingsLeft: number;
  /** The planned pings, in time order. */
  pings: WarmPing[];
  /** The targets left alone in this window, with the reason. */
  skipped: WarmSkip[];
}

/** The coming window's plan from what the store knows at `now`, within the hour's budget. */
export async function planWarmerWindow(
  store: Pick<WarmerStore, "pingsInLastHour" | "targets">,
  now: Date,
  config: Pick<OptimizationConfig, "limits" | "optimization" | "platform">,
): Promise<WarmerPlan> {
  const spent = await store.pingsInLastHour(now);
  const pingsLeft = Math.max(0, config.limits.warmPingsPerHour - spent);
  const plan = planWarmups(await store.targets(now), now.getTime(), {
    ...warmPlanDefaults,
    priority: config.optimization.priority,
    pingsLeft,
    workerOptions: {
      idleTimeoutMs: config.platform.workerIdleTimeoutSeconds * SECOND_MS,
      maxLifetimeMs: config.platform.workerLifetimeSeconds * SECOND_MS,
    },
  });
  return {
    window: {
      from: now.toISOString(),
      to: new Date(now.getTime() + warmPlanDefaults.windowMs).toISOString(),
    },
    pingsLeft,
    pings: plan.pings,
    skipped: plan.skipped,
  };
}

/** Plans and stores one window's pings; returns the summary and the pings to send. */
export async function runWarmer(
  store: WarmerStore,
  input: {
    trigger: "cron" | "api";
    now: Date;
    config: Pick<OptimizationConfig, "limits" | "optimization" | "platform">;
  },
): Promise<{ summary: WarmerRunSummary; toSend: PingToSend[] }> {
  const { now, config } = input;
  let toSend: PingToSend[] = [];
  const summary = await recordedRun(store, input.trigger, now, async (runId): Promise<WarmerRunSummary> => {
    const plan = await planWarmerWindow(store, now, config);
    const ids = await store.recordPlan(runId, plan.pings);
    toSend = plan.pings.map((ping, k) => ({ id: ids[k], fn: ping.fn, atMs: ping.atMs }));
    return {
      runId,
      startedAt: now.toISOString(),
      window: plan.window,
      pingsLeft: plan.pingsLeft,
      pings: plan.pings.map(({ atMs, ...ping }, k) => ({
        id: ids[k],
        at: new Date(atMs).toISOString(),
        ...ping,
      })),
      skipped: plan.skipped,
    };
  });
  return { summary, toSend };
}
