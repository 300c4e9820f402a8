import type postgres from "postgres";
import {
  createSharedCache,
  type SharedCache,
  sharedCacheDefaults,
} from "../../../../shared/cache/shared_cache.ts";
import type { MetricReporter } from "../../../../shared/metrics/instrument.ts";
import { type CacheSettings, createLruTtlCache } from "../../cache.ts";

/**
 * Cache-aside around the app's reads, as a team would wire it: look the key up, on a miss load from the
 * database or the quote service and store the answer if it succeeded. Every lookup is reported as a metric
 * event (system 'cache', kind 'lookup', hit or miss) so the metric store sees the hit rate. With APP_CACHE=off
 * every read goes to the source and nothing is reported, as do the reads of targets APP_CACHE_TARGETS leaves out.
 *
 * Two caches: `lru-ttl`, the one a team writes itself (in the isolate's memory, gone when the isolate is
 * retired), and `shared`, the suite's getOrLoad() (shared/cache/shared_cache.ts) with the same per-isolate
 * bounds in front of its tier in Postgres. Each lookup target is a namespace of the shared cache, and a user's
 * entries carry the tag `user:<id>`.
 */

/** A JSON answer as the function sends it; only 200s are stored. */
export interface Payload {
  status: number;
  body: string;
  /** false keeps a 200 out of the cache (an answer no write of the cache's key owner would invalidate). */
  cacheable?: boolean;
}

export interface CachedPayload extends Payload {
  /** null when the cache is off (no x-cache header is sent). */
  hit: boolean | null;
  /** An expired entry answered because the source failed (x-cache: stale-if-error). */
  staleIfError?: boolean;
}

export interface Lookup {
  /** What charts show, e.g. 'market-data.quote'. */
  target: string;
  key: string;
  /** The user whose writes make the entry stale. */
  userId?: string;
}

export interface AppCache {
  read(lookup: Lookup, load: () => Promise<Payload>): Promise<CachedPayload>;
  /**
   * Drops everything cached for this user under `targets` (the lookup targets their writes make stale):
   * awaited after each of their writes, before the answer, so that their next read sees the write.
   */
  invalidateUser(userId: string, targets: readonly string[]): Promise<void>;
}

export interface AppCacheOptions {
  settings: CacheSettings;
  reporter: MetricReporter | null;
  /** The app's database client: where the `shared` cache keeps its shared tier. */
  sql?: postgres.Sql;
  clock?: () => number;
  /** The time of the lookup events, and the clock the entries' TTLs run on (default: the system clock). */
  now?: () => Date;
}

const okStatus = 200;

const storable = (payload: Payload) => payload.status === okStatus && payload.cacheable !== false;

const uncached: AppCache = {
  read: async (_lookup, load) => ({ ...(await load()), hit: null }),
  invalidateUser: () => Promise.resolve(),
};

export function createAppCache(options: AppCacheOptions): AppCache {
  const { settings } = options;
  if (settings.mode === "off") return uncached;
  const cache = createCache(settings, options);
  if (settings.targets === undefined) return cache;
  // Targets left out read their source as with the cache off.
  const covered = new Set(settings.targets);
  return {
    read: (lookup, load) => (covered.has(lookup.target) ? cache : uncached).read(lookup, load),
    invalidateUser: (userId, targets) => cache.invalidateUser(userId, targets.filter((t) => covered.has(t))),
  };
}

function createCache(settings: Exclude<CacheSettings, { mode: "off" }>, options: AppCacheOptions): AppCache {
  const { reporter } = options;
  if (settings.mode === "shared") {
    if (!options.sql) throw new Error("APP_CACHE=shared needs the app's database client");
    return createSharedAppCache(settings, { ...options, sql: options.sql });
  }
  const clock = options.clock ?? (() => performance.now());
  const now = options.now ?? (() => new Date());
  const cache = createLruTtlCache<string>({
    maxEntries: settings.maxEntries,
    ttlMs: settings.ttlMs,
    maxBytes: settings.maxBytes,
    // TTLs run on the same clock as the events' times.
    clock: () => now().getTime(),
  });
  return {
    async read(lookup, load) {
      const started = clock();
      const { value: cached, expiredMs } = cache.read(lookup.key);
      reporter?.record({
        occurredAt: now().toISOString(),
        system: "cache",
        target: lookup.target,
        kind: "lookup",
        cache: cached === undefined ? "miss" : "hit",
        error: false,
        coldStart: false,
        latencyMs: Math.max(0, clock() - started),
        // A miss of an expired entry says how its key's re-reads relate to the TTL (docs/analyzers.md).
        ...(expiredMs === null ? {} : { attrs: { ttlMs: settings.ttlMs, expiredMs } }),
      });
      if (cached !== undefined) return { status: okStatus, body: cached, hit: true };
      const loaded = await load();
      if (storable(loaded)) cache.set(lookup.key, loaded.body, { tag: lookup.userId });
      return { ...loaded, hit: false };
    },
    invalidateUser(userId) {
      cache.invalidateTag(userId);
      return Promise.resolve();
    },
  };
}

function createSharedAppCache(
  settings: Exclude<CacheSettings, { mode: "off" }>,
  { reporter, sql, now }: AppCacheOptions & { sql: postgres.Sql },
): AppCache {
  const namespaces = new Map<string, SharedCache>();
  const namespace = (target: string): SharedCache => {
    let cache = namespaces.get(target);
    if (!cache) {
      cache = createSharedCache({ sql, namespace: target, reporter, now }, {
        ttlMs: settings.ttlMs,
        isolateMaxEntries: settings.maxEntries,
        isolateMaxBytes: settings.maxBytes ?? sharedCacheDefaults.isolateMaxBytes,
      });
      namespaces.set(target, cache);
    }
    return cache;
  };
  const userTag = (userId: string) => `user:${userId}`;
  const staleIfErrorMs = settings.mode === "shared" ? settings.staleIfErrorMs : undefined;
  return {
    async read(lookup, load) {
      const owned = lookup.userId !== undefined;
      const options = {
        tags: owned ? [userTag(lookup.userId!)] : [],
        ...(owned && settings.ownedTtlMs !== undefined ? { ttlMs: settings.ownedTtlMs } : {}),
        storeIf: storable,
      };
      // With stale-if-error, a source's 5xx answer becomes a throw: the cache serves its expired entry only then.
      const loader = staleIfErrorMs === undefined ? load : async () => {
        const payload = await load();
        if (payload.status >= 500) throw new FailedLoad(payload);
        return payload;
      };
      try {
        const { value, source } = await namespace(lookup.target).getOrLoad(lookup.key, loader, {
          ...options,
          staleIfErrorMs,
        });
        return {
          status: value.status,
          body: value.body,
          hit: source !== "loader",
          ...(source === "stale-if-error" ? { staleIfError: true } : {}),
        };
      } catch (error) {
        if (error instanceof FailedLoad) return { ...error.payload, hit: false };
        throw error;
      }
    },
    async invalidateUser(userId, targets) {
      await Promise.all(targets.map((target) => namespace(target).invalidate([userTag(userId)])));
    },
  };
}

/** A source's failed answer, thrown so that the shared cache may answer with an expired entry instead. */
class FailedLoad extends Error {
  constructor(readonly payload: Payload) {
    super(`the source answered ${payload.status}`);
  }
}

/** The Response for a (possibly cached) payload, with x-cache: hit|miss|stale-if-error when the cache is on. */
export function payloadResponse(payload: CachedPayload, requestId: string): Response {
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "x-request-id": requestId,
  };
  if (payload.hit !== null) {
    headers["x-cache"] = payload.staleIfError ? "stale-if-error" : payload.hit ? "hit" : "miss";
  }
  return new Response(payload.body, { status: payload.status, headers });
}

export function jsonPayload(value: unknown, status = okStatus): Payload {
  return { status, body: JSON.stringify(value) };
}
