import { resolveOptions } from "../analyze/options.ts";
import type { Sql } from "../db/client.ts";
import { textProblem } from "../db/pg_input.ts";
import type { MetricReporter } from "../metrics/metric_reporter.ts";
import { Lru } from "./lru.ts";
import { edgeRuntimeWaitUntil } from "../http/wait_until.ts";

/**
 * A cache that survives isolate recycling: a small per-isolate LRU in front of a shared tier in Postgres
 * (optimizer.cache_entries, unlogged) that every isolate of every function sees. Schema and the SQL it calls:
 * supabase/migrations/20261128006000_optimizer_cache.sql.
 *
 * getOrLoad(key, loader, { tags, ttlMs, staleMs }):
 * 1. single flight: concurrent calls for a key in this isolate share one lookup and one load;
 * 2. isolate tier: a fresh entry is served once the versions of its tags are what they were when it was
 *    loaded (one small query; none for an entry without tags), so a write in any isolate is seen at once;
 * 3. shared tier: optimizer.cache_get() serves an entry whose tags were not invalidated since, and gives the
 *    tags' current versions in the same round trip; a fresh entry is a hit, a stale one (within `staleMs`
 *    past its TTL) is served and refreshed in the background;
 * 4. load: the loader runs; its value is stored in both tiers unless a tag was invalidated meanwhile;
 * 5. stale-if-error: when the loader fails (its dependency is down, a circuit breaker is open) and the read asks
 *    for it (`staleIfErrorMs`), an entry kept that long past its stale window is served instead, from either
 *    tier, if none of its tags was invalidated since; `source` says so. An entry with tags is not served from
 *    the isolate tier when Postgres cannot confirm its tags.
 * invalidate(tags), called after a write, bumps the tags' versions and deletes the shared entries carrying them.
 *
 * Values are stored as their JSON text, which Postgres keeps as it is: no jsonb parsing on the way in or out.
 * The cache fails open: when Postgres cannot be reached, the read goes to the loader and the caller gets its
 * value; only the loader's own errors reach the caller. Every lookup is a metric event
 * (system `cache`, target the namespace, kind `lookup`, hit or miss, with the tier in attrs).
 */

/** Where a value came from: `stale-if-error` is an entry past its stale window, served because the loader failed. */
export type CacheSource = "isolate" | "shared" | "stale" | "stale-if-error" | "loader";

/** What getOrLoad() returns. */
export interface CacheRead<T> {
  /** The value. */
  value: T;
  /** Which tier served it, or the loader. */
  source: CacheSource;
}

/** How long an entry lives, what invalidates it, and whether to keep a loaded value. */
export interface LoadOptions<T = unknown> {
  /** Tags a write invalidates the entry by, e.g. `robot:42`, `user:7`. */
  tags?: readonly string[];
  /** How long the entry is fresh (default: the cache's ttlMs). */
  ttlMs?: number;
  /** How long past its TTL a stale entry is served while it is refreshed (default: the cache's staleMs). */
  staleMs?: number;
  /**
   * How long past its stale window the entry is kept to be served when the loader fails, and whether this read
   * falls back on such an entry (default: the cache's staleIfErrorMs).
   */
  staleIfErrorMs?: number;
  /** Whether to store a loaded value (default: always), e.g. not an answer that reports an error. */
  storeIf?: (value: T) => boolean;
}

/** A namespace of the cache, as one function sees it. */
export interface SharedCache {
  /**
   * The value for `key`: from either tier while valid, else from `loader` (then stored). Callers in an isolate
   * share the value the isolate tier holds: treat it as read-only.
   */
  getOrLoad<T>(key: string, loader: () => Promise<T>, options?: LoadOptions<T>): Promise<CacheRead<T>>;
  /** Invalidates every entry carrying any of `tags`, in every isolate; returns the shared entries deleted. */
  invalidate(tags: readonly string[]): Promise<number>;
  /** Resolves once the background refreshes started so far have ended. */
  settled(): Promise<void>;
}

/** The cache's bounds and defaults. */
export interface SharedCacheOptions {
  /** Entries the isolate tier holds at most. */
  isolateMaxEntries: number;
  /** Bytes (of the values' JSON) the isolate tier holds at most. */
  isolateMaxBytes: number;
  /** Default freshness of an entry. */
  ttlMs: number;
  /** Default time past the TTL a stale entry is served while it is refreshed (0: never stale). */
  staleMs: number;
  /** Default time past the stale window an entry is kept for reads whose loader fails (0: none). */
  staleIfErrorMs: number;
}

/** The defaults: 256 entries and 4 MiB per isolate, entries fresh for a minute, no stale serving. */
export const sharedCacheDefaults: SharedCacheOptions = {
  isolateMaxEntries: 256,
  isolateMaxBytes: 4 * 1024 * 1024,
  ttlMs: 60_000,
  staleMs: 0,
  staleIfErrorMs: 0,
};

const bounds = {
  isolateMaxEntries: { min: 0, max: 1_000_000, integer: true },
  isolateMaxBytes: { min: 0, max: 1024 * 1024 * 1024, integer: true },
  ttlMs: { min: 1, max: 2_000_000_000, integer: true },
  staleMs: { min: 0, max: 2_000_000_000, integer: true },
  staleIfErrorMs: { min: 0, max: 2_000_000_000, integer: true },
};

/** Where the cache lives and what it reports to. */
export interface SharedCacheDeps {
  /** The service role's connection. */
  sql: Sql;
  /** Namespace of the entries: one per kind of value, e.g. `robots.list` (1 to 200 characters). */
  namespace: string;
  /** Lookup events go here; null: none. */
  reporter?: MetricReporter | null;
  /** Keeps a background refresh alive after the answer (EdgeRuntime.waitUntil on the platform). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Told about a failure of either tier (the read then went to the loader); defaults to a console warning. */
  onError?: (error: unknown) => void;
  /** The clock of the lookup events and of the isolate tier's freshness. */
  now?: () => Date;
}

interface IsolateEntry {
  value: unknown;
  tags: readonly string[];
  versionSum: string;
  freshUntilMs: number;
  /** Until when a read whose loader fails may be served this entry. */
  errorUntilMs: number;
}

const maxKeyLength = 1000;

/** The cache of one namespace. */
export function createSharedCache(
  deps: SharedCacheDeps,
  input: Partial<SharedCacheOptions> = {},
): SharedCache {
  const options = resolveOptions(sharedCacheDefaults, bounds, input);
  const { sql, namespace } = deps;
  checkText("namespace", namespace, 200);
  const now = deps.now ?? (() => new Date());
  const onError = deps.onError ?? ((error) => console.warn(`cache ${namespace}: ${error}`));
  const waitUntil = deps.waitUntil ?? edgeRuntimeWaitUntil();
  const isolate = new Lru<IsolateEntry>(options.isolateMaxEntries, options.isolateMaxBytes);
  const inFlight = new Map<string, Promise<CacheRead<unknown>>>();
  // keys being refreshed in the background, and those refreshes
  const refreshing = new Set<string>();
  const background = new Set<Promise<unknown>>();

  const versionSum = async (tags: readonly string[]): Promise<string> => {
    if (tags.length === 0) return "0";
    const [{ sum }] = await sql<{ sum: string }[]>`
      select optimizer.cache_version_sum(${namespace}, ${tags as string[]})::text as sum`;
    return sum;
  };

  /** Whether none of the entry's tags was invalidated since it was loaded; false when Postgres cannot say. */
  const tagsUnchanged = async (entry: IsolateEntry): Promise<boolean> => {
    const current = await versionSum(entry.tags).catch((error) => {
      onError(error);
      return null;
    });
    return current === entry.versionSum;
  };

  const report = (source: CacheSource, startedMs: number) => {
    deps.reporter?.record({
      occurredAt: now().toISOString(),
      system: "cache",
      target: namespace,
      kind: "lookup",
      cache: source === "loader" ? "miss" : "hit",
      latencyMs: Math.max(0, performance.now() - startedMs),
      error: false,
      coldStart: false,
      attrs: { tier: source },
    });
  };

  /**
   * Runs the loader and stores its value in both tiers unless a tag was invalidated since `before` (the tags'
   * version sum read before the loader ran; null when Postgres could not be reached).
   */
  const load = async <T>(
    key: string,
    loader: () => Promise<T>,
    before: string | null,
    o: Required<Omit<LoadOptions<T>, "tags">> & { tags: readonly string[] },
  ) => {
    const value = await loader();
    // nothing to store: the database is out of reach, the value is not JSON, or the caller keeps it out
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (before === null || json === undefined || !o.storeIf(value)) return value;
    try {
      const [{ stored }] = await sql<{ stored: boolean }[]>`
        select optimizer.cache_put(${namespace}, ${key}, ${json}, ${o.tags as string[]}, ${before}::bigint,
          ${o.ttlMs}, ${o.staleMs}, ${now().toISOString()}, ${o.staleIfErrorMs}) as stored`;
      if (stored) {
        const storedMs = now().getTime();
        const entry = {
          value,
          tags: o.tags,
          versionSum: before,
          freshUntilMs: storedMs + o.ttlMs,
          errorUntilMs: o.staleIfErrorMs > 0 ? storedMs + o.ttlMs + o.staleMs + o.staleIfErrorMs : 0,
        };
        isolate.set(key, entry, json.length);
      }
    } catch (error) {
      onError(error);
    }
    return value;
  };

  const lookup = async <T>(
    key: string,
    loader: () => Promise<T>,
    input: LoadOptions<T>,
  ): Promise<CacheRead<T>> => {
    const startedMs = performance.now();
    const o = {
      tags: input.tags ?? [],
      ttlMs: input.ttlMs ?? options.ttlMs,
      staleMs: input.staleMs ?? options.staleMs,
      staleIfErrorMs: input.staleIfErrorMs ?? options.staleIfErrorMs,
      storeIf: input.storeIf ?? (() => true),
    };
    // isolate tier: fresh, and none of its tags invalidated since it was loaded
    const held = isolate.get(key);
    if (held && held.freshUntilMs > now().getTime()) {
      if (await tagsUnchanged(held)) {
        report("isolate", startedMs);
        return { value: held.value as T, source: "isolate" };
      }
      isolate.delete(key);
    }
    // shared tier, and the tags' current versions for a load that follows a miss, in one round trip
    const [row] = await sql<
      {
        hit: boolean;
        value: string | null;
        entry_tags: string[];
        fresh_until: Date | null;
        error_until: Date | null;
        version_sum: string;
        current_version_sum: string;
      }[]
    >`
      select g.hit, g.value, g.entry_tags, g.fresh_until, e.error_until, g.version_sum::text,
        g.current_version_sum::text
      from optimizer.cache_get(${namespace}, ${key}, ${o.tags as string[]}, ${now().toISOString()}) g
      left join optimizer.cache_entries e on g.hit and e.namespace = ${namespace} and e.key = ${key}`
      .catch((error) => {
        onError(error);
        return [undefined];
      });
    if (row?.hit) {
      const value = JSON.parse(row.value!) as T;
      if (row.fresh_until!.getTime() > now().getTime()) {
        const entry = {
          value,
          tags: row.entry_tags,
          versionSum: row.version_sum,
          freshUntilMs: row.fresh_until!.getTime(),
          errorUntilMs: row.error_until?.getTime() ?? 0,
        };
        isolate.set(key, entry, row.value!.length);
        report("shared", startedMs);
        return { value, source: "shared" };
      }
      // stale: served now, refreshed once in the background
      if (!refreshing.has(key)) {
        refreshing.add(key);
        const refresh: Promise<unknown> = load(key, loader, row.current_version_sum, o).catch(onError)
          .finally(
            () => {
              refreshing.delete(key);
              background.delete(refresh);
            },
          );
        background.add(refresh);
        waitUntil?.(refresh);
      }
      report("stale", startedMs);
      return { value, source: "stale" };
    }
    let value: T;
    try {
      value = await load(key, loader, row?.current_version_sum ?? null, o);
    } catch (error) {
      if (o.staleIfErrorMs === 0) throw error;
      const fallback = await staleIfError(key, held);
      if (!fallback) throw error;
      report("stale-if-error", startedMs);
      return { value: fallback.value as T, source: "stale-if-error" };
    }
    report("loader", startedMs);
    return { value, source: "loader" };
  };

  /**
   * Step 5: the entry a failed load falls back on, from the isolate tier (its tags confirmed unchanged) or the
   * shared one; null when neither has one.
   */
  const staleIfError = async (key: string, held: IsolateEntry | undefined) => {
    const at = now();
    if (held && held.errorUntilMs > at.getTime() && await tagsUnchanged(held)) return { value: held.value };
    const [row] = await sql<{ value: string }[]>`
      select value from optimizer.cache_get_if_error(${namespace}, ${key}, ${at.toISOString()})`
      .catch((error) => (onError(error), []));
    return row ? { value: JSON.parse(row.value) } : null;
  };

  return {
    getOrLoad<T>(key: string, loader: () => Promise<T>, o: LoadOptions<T> = {}): Promise<CacheRead<T>> {
      checkText("key", key, maxKeyLength);
      for (const tag of o.tags ?? []) checkText("tag", tag, 200);
      checkMs("ttlMs", o.ttlMs, bounds.ttlMs);
      checkMs("staleMs", o.staleMs, bounds.staleMs);
      checkMs("staleIfErrorMs", o.staleIfErrorMs, bounds.staleIfErrorMs);
      const pending = inFlight.get(key);
      if (pending) return pending as Promise<CacheRead<T>>;
      const read = lookup(key, loader, o).finally(() => inFlight.delete(key));
      inFlight.set(key, read);
      return read;
    },
    async invalidate(tags) {
      for (const tag of tags) checkText("tag", tag, 200);
      if (tags.length === 0) return 0;
      const [{ deleted }] = await sql<{ deleted: number }[]>`
        select optimizer.cache_invalidate(${namespace}, ${tags as string[]}) as deleted`;
      return deleted;
    },
    async settled() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
  };
}

/** Throws a RangeError naming `what` unless `text` is 1 to `max` characters Postgres can store. */
function checkText(what: string, text: string, max: number): void {
  const problem = typeof text !== "string"
    ? "must be a string"
    : text.length === 0 || text.length > max
    ? `must be 1 to ${max} characters: got ${text.length}`
    : textProblem(text);
  if (problem) throw new RangeError(`cache ${what} ${problem}`);
}

/** Throws a RangeError naming `what` unless `ms` is absent or a whole number of ms within `bound`. */
function checkMs(what: string, ms: number | undefined, bound: { min: number; max: number }): void {
  if (ms !== undefined && !(Number.isInteger(ms) && ms >= bound.min && ms <= bound.max)) {
    throw new RangeError(
      `cache ${what} must be a whole number of ms from ${bound.min} to ${bound.max}: got ${ms}`,
    );
  }
}
