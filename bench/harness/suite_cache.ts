/**
 * The suite's cache as a feature of the `optimized` scenario: the app's reads go through the suite's
 * getOrLoad() (APP_CACHE=shared, bench/reference_app/functions/_shared/app_cache.ts) with the peers'
 * per-isolate entry bound, in front of the tier in Postgres that every isolate of every function reads.
 * Reads of the quote service and of candles keep the peers' TTL: only time makes them stale. A user's own
 * reads live an hour (APP_CACHE_OWNED_TTL_MS): that user's writes drop them by tag in every isolate, so the
 * hour bounds only changes made outside the app. The peers cannot do that: their cache drops a user's entries
 * only in the isolate that served the write.
 */
import { HOUR_MS } from "../../shared/time.ts";
import { compressedTtlMs, peerCache } from "./scenarios.ts";
import type { SuiteFeature } from "./scenario.ts";

/** How long a user's own reads live in trace time, invalidated by that user's writes meanwhile. */
const ownedTtlTraceMs = HOUR_MS;

export interface SharedCacheScope {
  /** The lookup targets the cache covers (APP_CACHE_TARGETS); unset: every read the app caches. */
  targets?: string[];
}

export function sharedCacheFeature(compression: number, scope: SharedCacheScope = {}): SuiteFeature {
  const reads = scope.targets === undefined
    ? "the app's reads"
    : `the app's ${scope.targets.join(", ")} reads`;
  return {
    name: `the shared cache (${reads} through getOrLoad(): ${peerCache.maxEntries} entries per isolate ` +
      "as the peers have, in front of the tier in Postgres; the peers' TTL for market data, an hour for a " +
      "user's own reads, which that user's writes invalidate)",
    functionsEnv: {
      APP_CACHE: "shared",
      APP_CACHE_TTL_MS: String(compressedTtlMs(compression)),
      APP_CACHE_OWNED_TTL_MS: String(Math.max(1, Math.round(ownedTtlTraceMs / compression))),
      APP_CACHE_MAX_ENTRIES: String(peerCache.maxEntries),
      ...(scope.targets === undefined ? {} : { APP_CACHE_TARGETS: scope.targets.join(",") }),
    },
    // Each scenario starts cold, as the peers' caches do with their new workers: the data was just restored.
    prepare: async (world) => {
      await world.sql`delete from optimizer.cache_entries`;
    },
  };
}
