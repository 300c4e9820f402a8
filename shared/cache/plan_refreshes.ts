import { resolveOptions } from "../analyze/options.ts";
import type { OptimizationPriority } from "../config/config.ts";
import { percent } from "../correlate/statistics.ts";
import { MINUTE_MS } from "../time.ts";

/**
 * Predictive refresh-ahead: which shared-cache entries to reload through their namespace's named loader
 * (optimizer.cache_loaders) before they expire, so that the read that would have missed is a hit.
 *
 * 1. due: entries whose freshness ends in the window, each reloaded `leadMs` before it ends (at once when
 *    that has passed);
 * 2. demand: the chance the entry is read while the reloaded value is fresh, from the entry's own record: the
 *    share of the clock minutes since it was first stored in which it was read (one minute added to the
 *    minutes seen, so a value read once in its first minute counts as even odds, not a certainty);
 * 3. worth: that chance times what a miss costs more than a hit in the namespace, both measured from its
 *    lookups; a namespace without both measured is left alone (its saving would be a guess);
 * 4. priority: entries less likely to be read than the priority's threshold are left alone (a refresh
 *    nobody reads is a load for nothing);
 * 5. budget: the most valuable first, up to `maxRefreshes` a window.
 * Every entry left alone is returned with the reason.
 */

/** An entry that may be reloaded (optimizer.cache_refresh_candidates()). */
export interface RefreshCandidate {
  /** The cache namespace. */
  namespace: string;
  /** The entry's key. */
  key: string;
  /** When its freshness ends (epoch ms). */
  freshUntilMs: number;
  /** How long a reloaded value stays fresh: the entry's own TTL. */
  ttlMs: number;
  /** Clock minutes in which it was read, the minute of its first load included. */
  readMinutes: number;
  /** When it was first stored (epoch ms); reloads keep it. */
  firstStoredAtMs: number;
}

/** What a namespace's lookups measured (medians over the recent lookups). */
export interface NamespaceLookupCosts {
  /** The cache namespace. */
  namespace: string;
  /** A lookup the loader answered (a miss), in ms; null when none was measured. */
  missMs: number | null;
  /** A lookup the shared tier answered fresh (a hit), in ms; null when none was measured. */
  hitMs: number | null;
}

/** A reload to do. */
export interface PlannedRefresh {
  /** The cache namespace. */
  namespace: string;
  /** The entry's key. */
  key: string;
  /** When to reload it (epoch ms). */
  atMs: number;
  /** The chance the entry is read while the reloaded value is fresh. */
  readChance: number;
  /** The expected milliseconds saved: readChance × (missMs − hitMs). */
  expectedMsSaved: number;
  /** Why: how often it was read, and what a read saves. */
  reason: string;
}

/** An entry left alone, and why. */
export interface RefreshSkip {
  /** The cache namespace. */
  namespace: string;
  /** The entry's key. */
  key: string;
  /** Why it is not reloaded. */
  reason: string;
}

/** A window's reloads, in time order, and the entries left alone. */
export interface RefreshPlan {
  /** The reloads to do. */
  refreshes: PlannedRefresh[];
  /** The entries left alone, with the reason. */
  skipped: RefreshSkip[];
}

/** How the plan is made. */
export interface RefreshPlanOptions {
  /** The window planned, from now (the warmer's minute). */
  windowMs: number;
  /** How long before its freshness ends an entry is reloaded: room for the loader to run. */
  leadMs: number;
  /** Reloads a window holds at most. */
  maxRefreshes: number;
}

/** Defaults: the warmer's one-minute window, reloads 2 s ahead, at most 200 a window. */
export const refreshPlanDefaults: RefreshPlanOptions = {
  windowMs: MINUTE_MS,
  leadMs: 2_000,
  maxRefreshes: 200,
};

/** The shortest window a plan covers. */
export const minRefreshWindowMs = 1_000;

const bounds = {
  windowMs: { min: minRefreshWindowMs, max: 3_600_000, integer: true },
  leadMs: { min: 0, max: 600_000, integer: true },
  maxRefreshes: { min: 0, max: 100_000, integer: true },
};

/**
 * The chance of a read below which an entry is not reloaded, by priority: performance reloads what is read
 * one time in four, cost only what is read more often than not; reliability sits between.
 */
export const minReadChanceByPriority: Record<OptimizationPriority, number> = {
  performance: 0.25,
  reliability: 0.5,
  cost: 0.75,
};

/** The chance that an entry is read at least once within `ttlMs`, from its record of read minutes. */
export function readChance(candidate: RefreshCandidate, nowMs: number): number {
  const minutesSeen = Math.max(1, Math.ceil((nowMs - candidate.firstStoredAtMs) / MINUTE_MS));
  const perMinute = Math.min(1, candidate.readMinutes / (minutesSeen + 1));
  return 1 - (1 - perMinute) ** Math.max(candidate.ttlMs / MINUTE_MS, 0);
}

/** The reloads for the window that starts at `nowMs`, at `priority`. */
export function planRefreshes(
  candidates: readonly RefreshCandidate[],
  costs: readonly NamespaceLookupCosts[],
  nowMs: number,
  priority: OptimizationPriority,
  input: Partial<RefreshPlanOptions> = {},
): RefreshPlan {
  const o = resolveOptions(refreshPlanDefaults, bounds, input);
  const minChance = minReadChanceByPriority[priority];
  const costOf = new Map(costs.map((c) => [c.namespace, c]));
  const skipped: RefreshSkip[] = [];
  const worthy: PlannedRefresh[] = [];
  for (const candidate of candidates) {
    const { namespace, key } = candidate;
    // 1. due: reloaded `leadMs` ahead of its freshness's end, if that falls in this window
    const atMs = Math.max(nowMs, candidate.freshUntilMs - o.leadMs);
    if (atMs > nowMs + o.windowMs) continue;
    // 2. demand
    const chance = readChance(candidate, nowMs);
    // 3. worth, from measured lookups only
    const cost = costOf.get(namespace);
    if (cost?.missMs == null || cost.hitMs == null) {
      skipped.push({
        namespace,
        key,
        reason: `no measured ${
          cost?.missMs == null ? "miss" : "hit"
        } in ${namespace}: its saving would be a guess`,
      });
      continue;
    }
    const savedPerRead = Math.max(0, cost.missMs - cost.hitMs);
    // 4. priority
    if (chance < minChance) {
      skipped.push({
        namespace,
        key,
        reason: `read chance ${percent(chance, 0)} while fresh is below ${
          percent(minChance, 0)
        } (priority ${priority})`,
      });
      continue;
    }
    worthy.push({
      namespace,
      key,
      atMs,
      readChance: chance,
      expectedMsSaved: chance * savedPerRead,
      reason: `read in ${candidate.readMinutes} of its minutes: ${
        percent(chance, 0)
      } chance of a read while fresh, each saving ${Math.round(savedPerRead)} ms (miss ${
        Math.round(cost.missMs)
      } ms, hit ${Math.round(cost.hitMs)} ms)`,
    });
  }
  // 5. budget
  worthy.sort((a, b) => b.expectedMsSaved - a.expectedMsSaved || a.atMs - b.atMs);
  for (const over of worthy.slice(o.maxRefreshes)) {
    skipped.push({
      namespace: over.namespace,
      key: over.key,
      reason: `over the window's ${o.maxRefreshes} reloads (expected ${
        over.expectedMsSaved.toFixed(1)
      } ms saved)`,
    });
  }
  const refreshes = worthy.slice(0, o.maxRefreshes).sort((a, b) => a.atMs - b.atMs);
  return { refreshes, skipped };
}
