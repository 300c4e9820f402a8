/**
 * The cache a team adds to its edge functions when reads get slow ("peers" scenario): cache-aside, in the
 * isolate's memory, least recently used entries evicted once maxEntries (or maxBytes) is exceeded, every entry
 * expiring ttlMs after it was stored. Pure: time comes from the injected clock, nothing is scheduled, expired
 * entries are dropped when they are looked up or when room is needed.
 *
 * Entries may carry a tag (the owning user's id) so that a user's writes can drop everything cached for them.
 */

import { envChoice, envWholeNumber } from "./env.ts";

export interface LruTtlCacheOptions<V> {
  maxEntries: number;
  ttlMs: number;
  /** Bound on the summed sizeOf() of the entries; absent means only maxEntries bounds the cache. */
  maxBytes?: number;
  /** Size of a value in bytes; defaults to the UTF-16 size of a string, 0 for anything else. */
  sizeOf?: (value: V) => number;
  /** Milliseconds, monotonic enough for TTLs; defaults to Date.now. */
  clock?: () => number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries removed to make room (LRU order). */
  evictions: number;
  /** Entries found past their TTL. */
  expirations: number;
  /** Entries removed by delete() or invalidateTag(). */
  invalidations: number;
  entries: number;
  bytes: number;
}

/** What read() found under a key. */
export interface CacheRead<V> {
  /** The live value, or undefined on a miss. */
  value: V | undefined;
  /**
   * On a miss of an entry found past its TTL: how long ago it expired, in ms (what the cache analyzer's TTL
   * rule reads, as attrs.expiredMs of the lookup event); null otherwise.
   */
  expiredMs: number | null;
}

export interface LruTtlCache<V> {
  /** The live value under key (counted as a hit, and made most recently used), else undefined (a miss). */
  get(key: string): V | undefined;
  /** As get(), also saying how long ago the entry expired when the miss is an expired entry. */
  read(key: string): CacheRead<V>;
  set(key: string, value: V, options?: { tag?: string }): void;
  delete(key: string): boolean;
  /** Drops every entry stored with this tag; returns how many. */
  invalidateTag(tag: string): number;
  clear(): void;
  stats(): CacheStats;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
  bytes: number;
  tag?: string;
}

const defaultSizeOf = (value: unknown): number => typeof value === "string" ? value.length * 2 : 0;

function wholeNumber(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number >= ${min}: got ${value}`);
  }
  return value;
}

export function createLruTtlCache<V>(options: LruTtlCacheOptions<V>): LruTtlCache<V> {
  const maxEntries = wholeNumber("maxEntries", options.maxEntries, 1);
  const ttlMs = wholeNumber("ttlMs", options.ttlMs, 1);
  const maxBytes = options.maxBytes === undefined ? Infinity : wholeNumber("maxBytes", options.maxBytes, 1);
  const sizeOf = options.sizeOf ?? defaultSizeOf;
  const clock = options.clock ?? (() => Date.now());

  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const entries = new Map<string, Entry<V>>();
  const tags = new Map<string, Set<string>>();
  const counts = { hits: 0, misses: 0, evictions: 0, expirations: 0, invalidations: 0 };
  let bytes = 0;

  function remove(key: string): Entry<V> | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    entries.delete(key);
    bytes -= entry.bytes;
    if (entry.tag !== undefined) {
      const keys = tags.get(entry.tag);
      keys?.delete(key);
      if (keys?.size === 0) tags.delete(entry.tag);
    }
    return entry;
  }

  function makeRoom(now: number) {
    for (const [key, entry] of entries) {
      if (entries.size <= maxEntries && bytes <= maxBytes) return;
      remove(key);
      if (entry.expiresAt <= now) counts.expirations++;
      else counts.evictions++;
    }
  }

  function read(key: string): CacheRead<V> {
    const entry = entries.get(key);
    if (!entry) {
      counts.misses++;
      return { value: undefined, expiredMs: null };
    }
    const now = clock();
    if (entry.expiresAt <= now) {
      remove(key);
      counts.expirations++;
      counts.misses++;
      return { value: undefined, expiredMs: now - entry.expiresAt };
    }
    entries.delete(key);
    entries.set(key, entry);
    counts.hits++;
    return { value: entry.value, expiredMs: null };
  }

  return {
    get: (key) => read(key).value,
    read,
    set(key, value, setOptions = {}) {
      const now = clock();
      remove(key);
      const entry: Entry<V> = { value, expiresAt: now + ttlMs, bytes: sizeOf(value), tag: setOptions.tag };
      // A value larger than the whole budget would only evict everything else and then itself.
      if (entry.bytes > maxBytes) return;
      entries.set(key, entry);
      bytes += entry.bytes;
      if (entry.tag !== undefined) {
        const keys = tags.get(entry.tag) ?? new Set<string>();
        keys.add(key);
        tags.set(entry.tag, keys);
      }
      makeRoom(now);
    },
    delete(key) {
      const removed = remove(key) !== undefined;
      if (removed) counts.invalidations++;
      return removed;
    },
    invalidateTag(tag) {
      const keys = [...(tags.get(tag) ?? [])];
      for (const key of keys) remove(key);
      counts.invalidations += keys.length;
      return keys.length;
    },
    clear() {
      entries.clear();
      tags.clear();
      bytes = 0;
    },
    stats: () => ({ ...counts, entries: entries.size, bytes }),
  };
}

/**
 * How the app's cache is configured: APP_CACHE=off|lru-ttl|shared, APP_CACHE_TTL_MS, APP_CACHE_MAX_ENTRIES,
 * APP_CACHE_MAX_BYTES, APP_CACHE_OWNED_TTL_MS, APP_CACHE_STALE_IF_ERROR_MS, APP_CACHE_TARGETS. `shared` is the suite's cache
 * (shared/cache/shared_cache.ts): the same per-isolate bounds in front of a tier in Postgres that survives the
 * isolate.
 */
export type CacheSettings =
  | { mode: "off" }
  | {
    mode: "lru-ttl" | "shared";
    ttlMs: number;
    maxEntries: number;
    maxBytes?: number;
    /**
     * `shared` only: the TTL of a user's own reads, which that user's writes invalidate by tag in every isolate,
     * so that only changes made outside the app wait for it; other reads keep `ttlMs`. Unset: `ttlMs`.
     */
    ownedTtlMs?: number;
    /**
     * `shared` only: how long past its TTL an entry is kept to answer a read whose source fails (5xx), with
     * `x-cache: stale-if-error`. Unset: such a read gets the source's error.
     */
    staleIfErrorMs?: number;
    /**
     * The lookup targets the cache covers (e.g. only `market-data.quote`, to keep a failing dependency's last
     * answers); the others read their source as with the cache off. Unset: every target.
     */
    targets?: string[];
  };

const cacheModes = ["off", "lru-ttl", "shared"] as const;

/** Every lookup target of the app's cached reads (what APP_CACHE_TARGETS may name). */
export const cacheTargets = [
  "robots.get",
  "robots.count",
  "robots.strategyTypes",
  "market-data.quote",
  "market-data.candles",
] as const;

export const cacheDefaults = {
  ttlMs: 30_000,
  maxEntries: 1000,
} as const;

/** Reads the cache switches; throws with the variable's name when one is malformed, so a bad deploy fails at boot. */
export function cacheSettingsFromEnv(get: (name: string) => string | undefined): CacheSettings {
  const mode = envChoice(get, "APP_CACHE", cacheModes);
  if (mode === "off") return { mode };
  const ownedTtlMs = envWholeNumber(get, "APP_CACHE_OWNED_TTL_MS");
  if (ownedTtlMs !== undefined && mode !== "shared") {
    throw new Error(
      "APP_CACHE_OWNED_TTL_MS needs APP_CACHE=shared: the lru-ttl cache drops a user's entries only in the " +
        "isolate that served the write, so every other isolate would serve them stale until their TTL",
    );
  }
  const staleIfErrorMs = envWholeNumber(get, "APP_CACHE_STALE_IF_ERROR_MS");
  if (staleIfErrorMs !== undefined && mode !== "shared") {
    throw new Error(
      "APP_CACHE_STALE_IF_ERROR_MS needs APP_CACHE=shared: the lru-ttl cache drops expired entries",
    );
  }
  const targets = get("APP_CACHE_TARGETS")?.split(",").map((t) => t.trim()).filter((t) => t !== "");
  const unknown = targets?.filter((t) => !(cacheTargets as readonly string[]).includes(t)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `APP_CACHE_TARGETS names ${unknown.join(", ")}, which the app does not cache: use some of ${
        cacheTargets.join(", ")
      }`,
    );
  }
  return {
    mode,
    ttlMs: envWholeNumber(get, "APP_CACHE_TTL_MS", cacheDefaults.ttlMs)!,
    maxEntries: envWholeNumber(get, "APP_CACHE_MAX_ENTRIES", cacheDefaults.maxEntries)!,
    maxBytes: envWholeNumber(get, "APP_CACHE_MAX_BYTES"),
    ...(ownedTtlMs === undefined ? {} : { ownedTtlMs }),
    ...(staleIfErrorMs === undefined ? {} : { staleIfErrorMs }),
    ...(targets === undefined || targets.length === 0 ? {} : { targets }),
  };
}
