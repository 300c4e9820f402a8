import type { OptimizationPriority } from "../config/config.ts";
import type { Clock } from "../clock.ts";
import { runAtInstants } from "../run_at_instants.ts";
import { HOUR_MS } from "../time.ts";
import {
  minRefreshWindowMs,
  type PlannedRefresh,
  planRefreshes,
  type RefreshPlan,
  refreshPlanDefaults,
} from "./plan_refreshes.ts";
import type { RefreshOutcome, RefreshStore } from "./refresh_store.ts";

/**
 * Refresh-ahead as the warmer runs it every minute: plan the window's reloads from what the store knows, then
 * reload each at its instant in the background, after the run has answered.
 */

/** How far back a namespace's lookups are read for what a miss and a hit cost. */
export const lookupCostWindowMs = HOUR_MS;

/**
 * The reloads for the window of `windowMs` (the warmer's minute, or less when its worker retires sooner) that
 * starts at `now`, at `priority`.
 */
export async function planCacheRefreshes(
  store: Pick<RefreshStore, "candidates" | "lookupCosts">,
  now: Date,
  priority: OptimizationPriority,
  windowMs: number = refreshPlanDefaults.windowMs,
): Promise<RefreshPlan> {
  const { leadMs } = refreshPlanDefaults;
  // a window too short to send anything in plans nothing: the next run's worker will
  if (windowMs < minRefreshWindowMs) return { refreshes: [], skipped: [] };
  const candidates = await store.candidates(now, new Date(now.getTime() + windowMs + leadMs));
  if (candidates.length === 0) return { refreshes: [], skipped: [] };
  const namespaces = [...new Set(candidates.map((c) => c.namespace))];
  const costs = await store.lookupCosts(namespaces, new Date(now.getTime() - lookupCostWindowMs), now);
  return planRefreshes(candidates, costs, now.getTime(), priority, { windowMs });
}

/** How the reloads went, by outcome (`refreshed`, `gone`, `invalidated`, …, `error`). */
export type RefreshSummary = Record<string, number>;

/** How reloads are run. */
export interface RefreshSenderOptions {
  /** Reloads running at once. */
  concurrency: number;
  /** A loader running longer is cancelled (statement_timeout). */
  timeoutMs: number;
  /** The clock the reloads' instants are on (shared/clock.ts). */
  clock: Clock;
}

/** Defaults: two reloads at once, 5 s each. */
export const refreshSenderDefaults = { concurrency: 2, timeoutMs: 5_000 };

/**
 * Reloads each planned entry at its instant; `onOutcome` hears each (e.g. to record a metric event), with the
 * reload's duration. Resolves with the outcomes counted.
 */
export async function sendRefreshes(
  refreshes: readonly PlannedRefresh[],
  store: Pick<RefreshStore, "refresh">,
  o: RefreshSenderOptions,
  onOutcome: (refresh: PlannedRefresh, outcome: RefreshOutcome, latencyMs: number) => void = () => {},
): Promise<RefreshSummary> {
  const summary: RefreshSummary = {};
  await runAtInstants(refreshes, o, async (refresh) => {
    const started = performance.now();
    const outcome = await store.refresh(refresh.namespace, refresh.key, o.timeoutMs);
    const kind = typeof outcome === "string" ? outcome : "error";
    summary[kind] = (summary[kind] ?? 0) + 1;
    onOutcome(refresh, outcome, performance.now() - started);
  });
  return summary;
}
