import type { Sql } from "../db/client.ts";
import type { NamespaceLookupCosts, RefreshCandidate } from "./plan_refreshes.ts";

/**
 * Postgres adapter of refresh-ahead: the named loaders (optimizer.cache_loaders), the entries they may reload
 * with their read record, what each namespace's lookups cost, and the reload itself
 * (optimizer.cache_refresh(): a named query runs in Postgres; an app endpoint is posted `{namespace, key}` and
 * its answer stored with optimizer.cache_refresh_put()). Schema:
 * supabase/migrations/20261129001000_optimizer_cache_loaders.sql.
 */

/** A namespace's named loader: a Postgres function or an app endpoint. */
export interface CacheLoader {
  /** The cache namespace it loads for. */
  namespace: string;
  /** The Postgres function `schema.name(key text)` that returns the value as json or jsonb; null for an endpoint. */
  functionName: string | null;
  /** The path under /functions/v1/ posted `{namespace, key}`, answering the value as JSON; null for a function. */
  endpoint: string | null;
  /** Whether refresh-ahead may call it. */
  enabled: boolean;
  /** When it was last registered or switched (ISO 8601). */
  updatedAt: string;
}

/** What a reload did: `refreshed`, or why not. */
export type RefreshOutcome =
  | "refreshed"
  | "gone"
  | "no-loader"
  | "loader-missing"
  | "loader-null"
  | "invalidated"
  | { error: string };

/** What refresh-ahead reads and writes. */
export interface RefreshStore {
  /** Every registered loader. */
  listLoaders(): Promise<CacheLoader[]>;
  /**
   * Registers the loader of `namespace` (or replaces it, or switches it): the loader, or what is wrong with it
   * (a function that does not exist, or does not take text and return json or jsonb).
   */
  putLoader(
    namespace: string,
    loader: LoaderSpec,
    enabled: boolean,
  ): Promise<CacheLoader | { problem: string }>;
  /** Entries of namespaces with an enabled loader, still servable at `now`, whose freshness ends before `until`. */
  candidates(now: Date, until: Date): Promise<RefreshCandidate[]>;
  /** Median miss (loader) and fresh-hit (shared tier) lookup latency per namespace in [since, until). */
  lookupCosts(namespaces: readonly string[], since: Date, until: Date): Promise<NamespaceLookupCosts[]>;
  /** Reloads one entry through its loader, which gets `timeoutMs` to run. */
  refresh(namespace: string, key: string, timeoutMs: number): Promise<RefreshOutcome>;
}

/** A loader to register: a named query or an app endpoint. */
export type LoaderSpec = { function: string } | { endpoint: string };

/** How app endpoints are called: the project's URL, the headers that say the suite calls, the HTTP client. */
export interface EndpointCaller {
  /** The project's URL; an endpoint is posted at `${baseUrl}/functions/v1/<endpoint>`. */
  baseUrl: string;
  /** Headers every call carries: the secret key, which the endpoint checks before it answers any key. */
  headers: Record<string, string>;
  /** The HTTP client. */
  fetch: typeof fetch;
}

interface LoaderRow {
  namespace: string;
  function_name: string | null;
  endpoint: string | null;
  enabled: boolean;
  updated_at: Date;
}

const toLoader = (row: LoaderRow): CacheLoader => ({
  namespace: row.namespace,
  functionName: row.function_name,
  endpoint: row.endpoint,
  enabled: row.enabled,
  updatedAt: row.updated_at.toISOString(),
});

/**
 * Posts `{namespace, key}` to an app endpoint: its 2xx answer, which must be JSON, is the value (as JSON text);
 * 404 means the key has no value. Anything else is an error with the reason.
 */
async function callEndpoint(
  caller: EndpointCaller,
  endpoint: string,
  body: { namespace: string; key: string },
  timeoutMs: number,
): Promise<string | null | { error: string }> {
  try {
    const response = await caller.fetch(`${caller.baseUrl.replace(/\/+$/, "")}/functions/v1/${endpoint}`, {
      method: "POST",
      headers: { ...caller.headers, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status === 404) return null;
    if (!response.ok) return { error: `${endpoint} answered ${response.status}: ${text.slice(0, 200)}` };
    try {
      // parsed and written again: what is stored is JSON that Postgres can hold, whatever the endpoint sent
      return JSON.stringify(JSON.parse(text));
    } catch {
      return { error: `${endpoint} answered ${response.status} with a body that is not JSON` };
    }
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return { error: timedOut ? `${endpoint} gave no answer within ${timeoutMs} ms` : String(error) };
  }
}

/** The store on a service-role connection; `endpoints` calls app endpoint loaders (none: they fail). */
export function createRefreshStore(sql: Sql, endpoints: EndpointCaller | null = null): RefreshStore {
  return {
    async listLoaders() {
      const rows = await sql<LoaderRow[]>`
        select namespace, function_name, endpoint, enabled, updated_at
        from optimizer.cache_loaders order by namespace`;
      return rows.map(toLoader);
    },

    async putLoader(namespace, loader, enabled) {
      const functionName = "function" in loader ? loader.function : null;
      const endpoint = "endpoint" in loader ? loader.endpoint : null;
      try {
        const [row] = await sql<LoaderRow[]>`
          select namespace, function_name, endpoint, enabled, updated_at
          from optimizer.put_cache_loader(${namespace}, ${functionName}, ${endpoint}, ${enabled})`;
        return toLoader(row);
      } catch (error) {
        // put_cache_loader() raises 22023 with what is wrong with the loader
        if ((error as { code?: string }).code === "22023") return { problem: (error as Error).message };
        throw error;
      }
    },

    async candidates(now, until) {
      const rows = await sql<
        {
          namespace: string;
          key: string;
          fresh_until: Date;
          ttl_ms: number;
          read_minutes: number;
          first_stored_at: Date;
        }[]
      >`select namespace, key, fresh_until, ttl_ms, read_minutes, first_stored_at
        from optimizer.cache_refresh_candidates(${now}, ${until})`;
      return rows.map((row) => ({
        namespace: row.namespace,
        key: row.key,
        freshUntilMs: row.fresh_until.getTime(),
        ttlMs: row.ttl_ms,
        readMinutes: row.read_minutes,
        firstStoredAtMs: row.first_stored_at.getTime(),
      }));
    },

    async lookupCosts(namespaces, since, until) {
      if (namespaces.length === 0) return [];
      const rows = await sql<{ namespace: string; miss_ms: number | null; hit_ms: number | null }[]>`
        with first_id as (
          -- raw events have no index but their key: the id range from the rollup's watermark as of \`since\`
          -- keeps this a range scan of the hour, not of the whole day's partition
          select coalesce((
            select (r.summary ->> 'watermark')::bigint
            from optimizer.runs r
            where r.module = 'monitoring' and r.started_at < ${since} and r.summary ->> 'step' = 'rollup'
            order by r.started_at desc
            limit 1
          ), 0) as id
        )
        select n.namespace,
          percentile_cont(0.5) within group (order by e.latency_ms)
            filter (where e.cache_hit = false and e.attrs ->> 'tier' = 'loader') as miss_ms,
          percentile_cont(0.5) within group (order by e.latency_ms)
            filter (where e.cache_hit and e.attrs ->> 'tier' = 'shared') as hit_ms
        from unnest(${namespaces as string[]}::text[]) n(namespace)
        left join optimizer.metric_events e
          on e.id > (select id from first_id)
            and e.occurred_at >= ${since} and e.occurred_at < ${until}
            and e.system = 'cache' and e.kind = 'lookup' and e.target = n.namespace
            and e.latency_ms is not null
        group by n.namespace
        order by n.namespace`;
      return rows.map((row) => ({ namespace: row.namespace, missMs: row.miss_ms, hitMs: row.hit_ms }));
    },

    async refresh(namespace, key, timeoutMs) {
      try {
        const [step] = await sql.begin(async (tx) => {
          // a named query is the app's own SQL: bounded like any statement the suite runs for it
          await tx`select set_config('statement_timeout', ${
            String(Math.max(1, Math.round(timeoutMs)))
          }, true)`;
          return await tx<{ outcome: string; endpoint: string | null; versions: string | null }[]>`
            select outcome, endpoint, versions::text from optimizer.cache_refresh(${namespace}, ${key})`;
        });
        if (step.outcome !== "endpoint") return step.outcome as RefreshOutcome;
        if (endpoints === null) return { error: `no project URL to call the endpoint ${step.endpoint}` };
        const value = await callEndpoint(endpoints, step.endpoint!, { namespace, key }, timeoutMs);
        if (value === null) return "loader-null";
        if (typeof value === "object") return value;
        const [{ outcome }] = await sql<{ outcome: RefreshOutcome }[]>`
          select optimizer.cache_refresh_put(${namespace}, ${key}, ${value}, ${step.versions}::bigint) as outcome`;
        return outcome;
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
