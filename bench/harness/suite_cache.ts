/**
 * The suite's cache as a feature of the `optimized` scenario: the app's reads go through the suite's
 * getOrLoad() (APP_CACHE=shared, bench/reference_app/functions/_shared/app_cache.ts) with the peers' TTL and
 * per-isolate entry bound, so the two caches differ only in where entries live: the peers' die with their
 * isolate, the suite's also live in Postgres, where every isolate of every function reads them.
 */
import { compressedTtlMs, peerCache } from "./scenarios.ts";
import type { SuiteFeature } from "./scenario.ts";

export function sharedCacheFeature(compression: number): SuiteFeature {
  return {
    name:
      `the shared cache (the app's reads through getOrLoad(): ${peerCache.maxEntries} entries per isolate ` +
      "as the peers have, in front of the tier in Postgres, the same TTL)",
    functionsEnv: {
      APP_CACHE: "shared",
      APP_CACHE_TTL_MS: String(compressedTtlMs(compression)),
      APP_CACHE_MAX_ENTRIES: String(peerCache.maxEntries),
    },
    // Each scenario starts cold, as the peers' caches do with their new workers: the data was just restored.
    prepare: async (world) => {
      await world.sql`delete from optimizer.cache_entries`;
    },
  };
}
