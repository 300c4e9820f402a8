/**
 * The scenarios compared on the same trace. `peers` are what a team would do instead of the suite; the
 * `optimized` scenario switches on every feature the suite has that acts on the app (its `features`), so each
 * later feature shows up here without a change to the harness.
 */
import type { ScenarioSpec, SuiteFeature } from "./scenario.ts";
import { MINUTE_MS } from "../../shared/time.ts";

/** The peers' cache-aside cache: entries live a minute of trace time, a thousand per function worker. */
export const peerCache = { ttlTraceMs: MINUTE_MS, maxEntries: 1000 };

/** The index sets of RunOptions.indexSets the peer scenarios run with. */
export const indexSetNames = { developer: "developer", perQuery: "per-query" } as const;

export const peerScenarioNames = ["peers-5m", "peers-1m", "peers-per-query"];

/** The peers' TTL in real time inside the functions, compressed like the trace. */
export function compressedTtlMs(compression: number): number {
  return Math.max(1, Math.round(peerCache.ttlTraceMs / compression));
}

export function baselineSpec(): ScenarioSpec {
  return {
    name: "baseline",
    description: "nothing on: primary keys and unique constraints only, no cache, no warmer",
    appCache: null,
    warmerIntervalMs: null,
    indexes: null,
    features: [],
  };
}

/**
 * Every scenario; cache TTLs are real time inside the functions, so they are compressed like the trace.
 * `suite` is what the `optimized` scenario switches on.
 */
export function scenarioSpecs(compression: number, suite: SuiteFeature[]): ScenarioSpec[] {
  const cache = {
    ttlMs: compressedTtlMs(compression),
    maxEntries: peerCache.maxEntries,
  };
  const peer = (name: string, intervalMs: number, label: string): ScenarioSpec => ({
    name,
    description: `a fixed warmer every ${label} (serverless-plugin-warmup style) on every function, ` +
      `a cache-aside LRU cache with a ${
        peerCache.ttlTraceMs / MINUTE_MS
      }-minute TTL (${peerCache.maxEntries} entries), ` +
      "and the indexes a developer derives from `supabase db advisors` and `supabase inspect db`",
    appCache: cache,
    warmerIntervalMs: intervalMs,
    indexes: indexSetNames.developer,
    features: [],
  });
  return [
    baselineSpec(),
    peer("peers-5m", 5 * MINUTE_MS, "5 minutes"),
    peer("peers-1m", MINUTE_MS, "minute"),
    {
      name: "peers-per-query",
      description:
        "the indexes of per-query, single-column advice in the manner of Supabase's index_advisor " +
        "(hypopg, every statement of the discovery window), and nothing else: no cache, no warmer",
      appCache: null,
      warmerIntervalMs: null,
      indexes: indexSetNames.perQuery,
      features: [],
    },
    {
      name: "optimized",
      description: suite.length === 0
        ? "the suite's own features that act on the app: none (only monitoring, which every scenario runs), " +
          "so this run is the same configuration as baseline and shows the noise between identical runs"
        : `the suite's features that act on the app: ${suite.map((f) => f.name).join("; ")}`,
      appCache: null,
      warmerIntervalMs: null,
      indexes: null,
      features: suite,
    },
  ];
}
