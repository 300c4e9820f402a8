import type { Sql } from "../db/client.ts";
import type { Analyzer } from "../recommendations/analyzer.ts";
import type { AnalysisWindows } from "./analysis_window.ts";
import {
  analyzeCache,
  type CacheAnalyzerOptions,
  type CacheNamespaceInput,
  resolveCacheOptions,
  type TtlSample,
} from "./cache.ts";
import { createTargetAnalyzer } from "./target_analyzer.ts";

/**
 * The cache analyzer: per namespace, lookups (createTargetAnalyzer), evictions and the misses they caused from
 * the rollups, and the TTL attrs of misses from raw events (see cache.ts for why), then analyzeCache().
 */

/** The cache analyzer with `options` over cacheAnalyzerDefaults; throws RangeError for a bad option. */
export function createCacheAnalyzer(options: Partial<CacheAnalyzerOptions> = {}): Analyzer {
  const resolved = resolveCacheOptions(options);
  return createTargetAnalyzer({
    name: "cache",
    filter: { system: "cache", kind: "lookup" },
    targets: "cache namespaces",
    maxTargets: resolved.maxTargets,
    async decide({ series, windows, window, previousWindow }, context) {
      const namespaces = series.map((s) => s.target);
      const evictions = await evictionCounts(context.sql, windows, namespaces);
      const none = { evictions: 0, evictedReads: 0 };
      const ttl = await ttlSamples(context.sql, windows, namespaces, resolved.justExpiredSlack);
      const inputs: CacheNamespaceInput[] = series.map((lookups) => ({
        lookups,
        ...(evictions.get(lookups.target) ?? none),
        ttl: ttl.get(lookups.target) ?? null,
      }));
      return analyzeCache({ namespaces: inputs, window, previousWindow }, context.config, resolved);
    },
    notes: [
      "TTL verdicts need misses reported with attrs ttlMs and expiredMs (rollups keep no keys or attrs); " +
      "they are read from raw events, kept retention.rawEventsDays",
    ],
  });
}

/**
 * Evictions and the misses they caused per namespace over the analysis window, from the rollups of kinds
 * `eviction` and `evicted_read`.
 */
async function evictionCounts(
  sql: Sql,
  windows: AnalysisWindows,
  namespaces: string[],
): Promise<Map<string, { evictions: number; evictedReads: number }>> {
  if (namespaces.length === 0) return new Map();
  const rows = await sql<{ target: string; evictions: string; evicted_reads: string }[]>`
    select r.target, coalesce(sum(r.count) filter (where r.kind = 'eviction'), 0) as evictions,
           coalesce(sum(r.count) filter (where r.kind = 'evicted_read'), 0) as evicted_reads
    from optimizer.metric_rollups r
    where r.system = 'cache' and r.kind in ('eviction', 'evicted_read') and r.target = any(${namespaces})
      and r.minute >= ${windows.current.from.toISOString()}::timestamptz
      and r.minute < ${windows.current.to.toISOString()}::timestamptz
    group by r.target`;
  return new Map(
    rows.map((row) => [row.target, {
      evictions: Number(row.evictions),
      evictedReads: Number(row.evicted_reads),
    }]),
  );
}

/**
 * The TTL attrs of each namespace's misses over the analysis window, from raw events (rollups drop attrs).
 * Attrs that are not numbers count as missing.
 */
async function ttlSamples(
  sql: Sql,
  windows: AnalysisWindows,
  namespaces: string[],
  slack: number,
): Promise<Map<string, TtlSample>> {
  if (namespaces.length === 0) return new Map();
  const rows = await sql<
    {
      target: string;
      misses: string;
      described: string;
      just_expired: string;
      ttl_ms: number | null;
      rereference_p90_ms: number | null;
    }[]
  >`
    with misses as (
      select e.target,
             case when jsonb_typeof(e.attrs -> 'ttlMs') = 'number' then (e.attrs ->> 'ttlMs')::double precision end
               as ttl_ms,
             case when jsonb_typeof(e.attrs -> 'expiredMs') = 'number'
               then (e.attrs ->> 'expiredMs')::double precision end as expired_ms
      from optimizer.metric_events e
      where e.system = 'cache' and e.kind = 'lookup' and e.cache_hit = false -- misses only
        and e.target = any(${namespaces})
        and e.occurred_at >= ${windows.current.from.toISOString()}::timestamptz
        and e.occurred_at < ${windows.current.to.toISOString()}::timestamptz
    ),
    described as (
      select m.*, m.expired_ms <= m.ttl_ms * ${slack} as just_expired
      from misses m
    )
    select d.target, count(*) as misses,
           count(*) filter (where d.ttl_ms is not null and d.expired_ms is not null) as described,
           count(*) filter (where d.just_expired) as just_expired,
           percentile_cont(0.5) within group (order by d.ttl_ms)
             filter (where d.ttl_ms is not null and d.expired_ms is not null) as ttl_ms,
           percentile_cont(0.9) within group (order by d.ttl_ms + d.expired_ms)
             filter (where d.just_expired) as rereference_p90_ms
    from described d
    group by d.target`;
  return new Map(rows.map((row) => [row.target, {
    misses: Number(row.misses),
    described: Number(row.described),
    justExpired: Number(row.just_expired),
    ttlMs: row.ttl_ms === null ? null : Number(row.ttl_ms),
    rereferenceP90Ms: row.rereference_p90_ms === null ? null : Number(row.rereference_p90_ms),
  }]));
}
