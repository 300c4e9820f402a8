import type { AnalysisResult } from "../recommendations/analyzer.ts";
import type { OptimizationConfig } from "../config/config.ts";
import { estimatedGain, type Window } from "../finding/finding.ts";
import type { SeriesBucket } from "../metrics/series.ts";
import { formatP, formatRate, median, percent, rateChange, wilsonInterval } from "../correlate/statistics.ts";
import { type Bound, resolveOptions } from "./options.ts";
import type { TargetSeries } from "./target_series.ts";
import { collect, found, reject as rejectRule, type Verdict } from "./verdict.ts";

/**
 * The cache analyzer's rules, per namespace (events of system `cache`: kind `lookup` with `cache: hit|miss`,
 * kind `eviction`; target = namespace). Pure: it takes the figures and decides.
 *
 * What the rollups give, and what they cannot: rollups count hits, misses and evictions per namespace and
 * minute, so hit rates, their trend and miss bursts come from them. They keep no keys and no attrs, so a
 * key's re-reference interval and its TTL cannot be derived from them: the TTL rule reads, from raw events
 * (kept retention.rawEventsDays), the attrs a cache client may attach to a miss: `ttlMs` (the TTL the key's
 * expired entry had) and `expiredMs` (how long before this lookup that entry expired). A miss with
 * expiredMs <= ttlMs * justExpiredSlack re-read its key within (1 + justExpiredSlack) TTLs of the write: the
 * TTL just missed the key's re-reference interval (ttlMs + expiredMs). Namespaces whose misses carry no such
 * attrs get no TTL verdict, and a rejection says so.
 *
 * Rules (`cache.*`):
 * - low-hit-rate: the window's hit rate is below alerts.minCacheHitRate with 95 % confidence (the upper end
 *   of its Wilson interval is below it);
 * - hit-rate-falling: the hit rate fell by at least minTrendDrop from the previous window, with the
 *   two-proportion z-test's p at most maxTrendPValue;
 * - miss-burst: minutes whose misses reach burstFactor times the namespace's median misses per minute and
 *   minBurstMisses;
 * - ttl-too-short: at least maxJustExpiredShare of the described misses re-read a key just after it expired;
 * - evictions-over-budget: evictions reach maxEvictionRatio of lookups and some evicted keys were read again
 *   while they would still have been fresh, so the working set does not fit in limits.cacheSizeBudgetMb; its
 *   gain is those misses as a share of the lookups.
 */

/** Thresholds of the cache rules. */
export interface CacheAnalyzerOptions {
  /** Lookups a window needs before its hit rate is judged (default 100). */
  minLookups: number;
  /** Largest p-value of a falling hit rate that is reported (default 0.01). */
  maxTrendPValue: number;
  /** Smallest fall of the hit rate, as a fraction, that is reported (default 0.05: 5 points). */
  minTrendDrop: number;
  /** A minute is a burst when its misses reach this many times the median minute's (default 3). */
  burstFactor: number;
  /** …and at least this many misses (default 20). */
  minBurstMisses: number;
  /** Misses carrying ttlMs and expiredMs needed before the TTL is judged (default 50). */
  minTtlSamples: number;
  /** "Just expired": expiredMs at most this many TTLs (default 0.5). */
  justExpiredSlack: number;
  /** Share of the described misses that re-read a just-expired key above which the TTL is too short (0.3). */
  maxJustExpiredShare: number;
  /** Evictions needed before they are judged (default 10). */
  minEvictions: number;
  /** Evictions per lookup above which the budget is too small for the working set (default 0.05). */
  maxEvictionRatio: number;
  /** Namespaces analyzed, busiest first (default 200). */
  maxTargets: number;
}

/** The defaults, frozen: lay options over them with the resolve function. */
export const cacheAnalyzerDefaults: Readonly<CacheAnalyzerOptions> = Object.freeze({
  minLookups: 100,
  maxTrendPValue: 0.01,
  minTrendDrop: 0.05,
  burstFactor: 3,
  minBurstMisses: 20,
  minTtlSamples: 50,
  justExpiredSlack: 0.5,
  maxJustExpiredShare: 0.3,
  minEvictions: 10,
  maxEvictionRatio: 0.05,
  maxTargets: 200,
});

const cacheBounds: { [K in keyof CacheAnalyzerOptions]: Bound } = {
  minLookups: { min: 1, integer: true },
  maxTrendPValue: { min: 0, max: 1 },
  minTrendDrop: { min: 0, max: 1 },
  burstFactor: { min: 1 },
  minBurstMisses: { min: 1, integer: true },
  minTtlSamples: { min: 1, integer: true },
  justExpiredSlack: { min: 0 },
  maxJustExpiredShare: { min: 0, max: 1 },
  minEvictions: { min: 1, integer: true },
  maxEvictionRatio: { min: 0 },
  maxTargets: { min: 1, max: 10_000, integer: true },
};

/** The defaults with `options` laid over them; throws RangeError naming an option out of bounds. */
export function resolveCacheOptions(options: Partial<CacheAnalyzerOptions> = {}): CacheAnalyzerOptions {
  return resolveOptions(cacheAnalyzerDefaults, cacheBounds, options);
}

/** What the raw events' attrs say about one namespace's misses over the analysis window. */
export interface TtlSample {
  /** Misses over the window. */
  misses: number;
  /** Misses carrying numeric ttlMs and expiredMs. */
  described: number;
  /** Described misses with expiredMs <= ttlMs * justExpiredSlack. */
  justExpired: number;
  /** Median ttlMs of the described misses; null without any. */
  ttlMs: number | null;
  /** 90th percentile of the re-reference interval (ttlMs + expiredMs) of the just-expired misses. */
  rereferenceP90Ms: number | null;
}

/** One namespace's figures. */
export interface CacheNamespaceInput {
  /** Its lookups (kind `lookup`) over the analysis window and the one before. */
  lookups: TargetSeries;
  /** Its evictions (kind `eviction`) over the analysis window. */
  evictions: number;
  /**
   * Its misses the budget caused over the analysis window: keys evicted while fresh and stored again before
   * they would have gone stale (kind `evicted_read`, from the shared tier).
   */
  evictedReads: number;
  /** Its misses' TTL attrs; null when they were not read. */
  ttl: TtlSample | null;
}

/** What analyzeCache() decides on. */
export interface CacheAnalysisInput {
  /** One entry per namespace. */
  namespaces: CacheNamespaceInput[];
  /** The analysis window. */
  window: Window;
  /** The window before it (trends). */
  previousWindow: Window;
}

const lookupSeries = (namespace: string) => `optimizer.metric_rollups(cache/${namespace}/lookup)`;

/** Runs every cache rule on every namespace: findings and, for each rule that did not fire, its reason. */
export function analyzeCache(
  input: CacheAnalysisInput,
  config: OptimizationConfig,
  options: CacheAnalyzerOptions = cacheAnalyzerDefaults,
): AnalysisResult {
  const rules = [lowHitRate, hitRateFalling, missBurst, ttlTooShort, evictionsOverBudget];
  return collect(input.namespaces.flatMap((ns) => rules.map((rule) => rule(ns, input, config, options))));
}

type CacheRule = (
  ns: CacheNamespaceInput,
  input: CacheAnalysisInput,
  config: OptimizationConfig,
  options: CacheAnalyzerOptions,
) => Verdict;

const reject = (rule: string, namespace: string, reason: string) =>
  rejectRule(rule, `cache:${namespace}`, reason);

const lowHitRate: CacheRule = (ns, input, config, options) => {
  const rule = "cache.low-hit-rate";
  const { target, current } = ns.lookups;
  const { hits, misses } = current.summary;
  const threshold = config.alerts.minCacheHitRate;
  // 1. enough lookups to judge
  if (hits + misses < options.minLookups) {
    return reject(rule, target, `${hits + misses} lookups is below minLookups ${options.minLookups}`);
  }
  // 2. below the alert threshold with 95 % confidence
  const rate = wilsonInterval(hits, hits + misses)!;
  if (rate.rate >= threshold) {
    return reject(
      rule,
      target,
      `hit rate ${formatRate(rate)} is at or above minCacheHitRate ${percent(threshold)}`,
    );
  }
  if (rate.high >= threshold) {
    return reject(
      rule,
      target,
      `hit rate ${formatRate(rate)} is below minCacheHitRate ${
        percent(threshold)
      }, but its interval reaches it`,
    );
  }
  return found({
    rule,
    system: "cache",
    subject: `cache:${target}`,
    severity: rate.rate < threshold / 2 ? "critical" : "warning",
    title: `Cache ${target}: hit rate ${percent(rate.rate)}, below ${percent(threshold)}`,
    detail: `Namespace ${target} hit ${hits} of ${hits + misses} lookups: ${formatRate(rate)}, below ` +
      `alerts.minCacheHitRate ${percent(threshold)} (the whole 95 % Wilson interval lies below it). Check ` +
      "what the namespace caches: keys too specific to be read twice, a TTL shorter than the re-read " +
      "interval, or entries evicted before they are read again.",
    evidence: {
      series: [lookupSeries(target)],
      windows: [input.window],
      statistic: { name: "hit rate", value: rate.rate, unit: "ratio" },
    },
    gain: estimatedGain(
      (threshold - rate.rate) * (hits + misses),
      "lookups served from cache",
      "lookups that would hit over the same window if the hit rate reached alerts.minCacheHitRate",
    ),
    action: {
      kind: "guidance",
      text: `Review namespace ${target}: its keys, TTL and size; see the other cache findings for which.`,
    },
  });
};

const hitRateFalling: CacheRule = (ns, input, _config, options) => {
  const rule = "cache.hit-rate-falling";
  const { target, current, previous } = ns.lookups;
  const now = current.summary;
  const before = previous;
  // 1. enough lookups in both windows
  for (const [name, s] of [["this", now], ["the previous", before]] as const) {
    if (s.hits + s.misses < options.minLookups) {
      return reject(
        rule,
        target,
        `${s.hits + s.misses} lookups in ${name} window is below minLookups ${options.minLookups}`,
      );
    }
  }
  // 2. a fall of at least minTrendDrop that chance does not explain
  const change = rateChange(before.hits, before.hits + before.misses, now.hits, now.hits + now.misses)!;
  const drop = change.before - change.after;
  if (drop < options.minTrendDrop) {
    return reject(
      rule,
      target,
      `hit rate went from ${percent(change.before)} to ${percent(change.after)}: a fall of ${
        percent(drop)
      } is ` +
        `below minTrendDrop ${percent(options.minTrendDrop)}`,
    );
  }
  if (change.pValue > options.maxTrendPValue) {
    return reject(
      rule,
      target,
      `hit rate fell ${percent(drop)} but ${
        formatP(change.pValue)
      } is above maxTrendPValue ${options.maxTrendPValue}`,
    );
  }
  return found({
    rule,
    system: "cache",
    subject: `cache:${target}`,
    severity: "warning",
    title: `Cache ${target}: hit rate fell from ${percent(change.before)} to ${percent(change.after)}`,
    detail: `Namespace ${target}'s hit rate fell by ${percent(drop)}: ${before.hits} of ` +
      `${before.hits + before.misses} lookups hit in the previous window, ${now.hits} of ` +
      `${now.hits + now.misses} in this one (two-proportion z-test: z = ${change.z.toFixed(2)}, ` +
      `${
        formatP(change.pValue)
      }). Look for what changed between the windows: a deploy that changed keys or ` +
      "TTLs, a new access pattern, or more evictions.",
    evidence: {
      series: [lookupSeries(target)],
      windows: [input.previousWindow, input.window],
      statistic: { name: "hit rate fall", value: drop, unit: "ratio" },
    },
    action: {
      kind: "guidance",
      text: `Compare namespace ${target}'s keys, TTL and evictions across the two windows.`,
    },
  });
};

const missBurst: CacheRule = (ns, input, _config, options) => {
  const rule = "cache.miss-burst";
  const { target, current } = ns.lookups;
  // 1. the minutes with lookups, and their median misses
  const active = current.buckets.filter((b) => b.hits + b.misses > 0);
  if (active.length === 0) return reject(rule, target, "no lookups in the window");
  const typical = median(active.map((b) => b.misses));
  // 2. minutes far above it
  const bar = Math.max(options.burstFactor * Math.max(typical, 1), options.minBurstMisses);
  const bursts: SeriesBucket[] = active.filter((b) => b.misses >= bar);
  if (bursts.length === 0) {
    const worst = Math.max(...active.map((b) => b.misses));
    return reject(
      rule,
      target,
      `the worst minute had ${worst} misses, below ${bar} (burstFactor ${options.burstFactor} × median ` +
        `${typical} per minute, at least minBurstMisses ${options.minBurstMisses})`,
    );
  }
  const listed = [...bursts].sort((a, b) => b.misses - a.misses).slice(0, 5)
    .map((b) => `${b.start.slice(0, 16)}Z: ${b.misses} misses of ${b.hits + b.misses}`);
  return found({
    rule,
    system: "cache",
    subject: `cache:${target}`,
    severity: "warning",
    title: `Cache ${target}: ${bursts.length} minute(s) of miss bursts`,
    detail:
      `Namespace ${target} had ${bursts.length} minute(s) of ${bar} misses or more, against a median of ` +
      `${typical} per minute over ${active.length} minutes with lookups (worst: ${listed.join("; ")}). ` +
      "Bursts of misses are what many keys expiring together, or a cold cache after a deploy, look like: " +
      "add jitter to TTLs, coalesce concurrent misses of one key into one load (single flight), and warm " +
      "hot keys ahead of expiry.",
    evidence: {
      series: [lookupSeries(target)],
      windows: [input.window],
      statistic: { name: "burst minutes", value: bursts.length, unit: "minutes" },
    },
    action: {
      kind: "guidance",
      text: `Spread namespace ${target}'s expiries (TTL jitter) and coalesce concurrent misses per key.`,
    },
  });
};

const ttlTooShort: CacheRule = (ns, input, _config, options) => {
  const rule = "cache.ttl-too-short";
  const { target, current } = ns.lookups;
  const ttl = ns.ttl;
  // 1. misses that say how long ago their key expired
  if (ttl === null || ttl.described < options.minTtlSamples) {
    return reject(
      rule,
      target,
      `${ttl?.described ?? 0} of ${ttl?.misses ?? current.summary.misses} misses carry attrs ttlMs and ` +
        `expiredMs, below minTtlSamples ${options.minTtlSamples}: the re-reference interval is unknown`,
    );
  }
  // 2. a large share of them re-read a key just after it expired
  const share = ttl.justExpired / ttl.described;
  if (share < options.maxJustExpiredShare) {
    return reject(
      rule,
      target,
      `${percent(share)} of ${ttl.described} described misses re-read a key within ` +
        `${1 + options.justExpiredSlack} TTLs, below maxJustExpiredShare ${
          percent(options.maxJustExpiredShare)
        }`,
    );
  }
  const interval = wilsonInterval(ttl.justExpired, ttl.described)!;
  const lookups = current.summary.hits + current.summary.misses;
  const suggested = Math.ceil(ttl.rereferenceP90Ms ?? 0);
  return found({
    rule,
    system: "cache",
    subject: `cache:${target}`,
    severity: "warning",
    title: `Cache ${target}: keys re-read just after they expire (TTL ${ttl.ttlMs} ms)`,
    detail: `${ttl.justExpired} of the ${ttl.described} misses of namespace ${target} that carry ttlMs and ` +
      `expiredMs read a key at most ${options.justExpiredSlack} TTLs after it expired: ${
        formatRate(interval)
      }. ` +
      `The median TTL is ${ttl.ttlMs} ms; 90 % of those keys were re-read within ${suggested} ms of being ` +
      `written. A TTL of about ${suggested} ms would have served them, if the data may be that old.`,
    evidence: {
      series: [`optimizer.metric_events(cache/${target}/lookup: attrs ttlMs, expiredMs)`],
      windows: [input.window],
      statistic: { name: "share of misses just after expiry", value: share, unit: "ratio" },
    },
    gain: lookups > 0
      ? estimatedGain(
        ttl.justExpired / lookups,
        "hit rate",
        "the just-expired misses become hits once the TTL covers their re-reference interval (p90); " +
          "the other misses are unchanged",
      )
      : null,
    action: {
      kind: "guidance",
      text: `Raise namespace ${target}'s TTL from ${ttl.ttlMs} ms towards ${suggested} ms where the data ` +
        "may be served that old.",
    },
  });
};

/** The largest cacheSizeBudgetMb the config allows (LimitsSchema). */
const maxCacheBudgetMb = 256;

/** The rule of a cache budget too small for the working set (its config patch raises the budget). */
export const cacheBudgetRule = "cache.evictions-over-budget";

const evictionsOverBudget: CacheRule = (ns, input, config, options) => {
  const rule = cacheBudgetRule;
  const { target, current } = ns.lookups;
  const lookups = current.summary.hits + current.summary.misses;
  // 1. enough evictions to judge
  if (ns.evictions < options.minEvictions) {
    return reject(rule, target, `${ns.evictions} evictions is below minEvictions ${options.minEvictions}`);
  }
  // 2. evictions a large share of lookups: the working set outgrows the budget
  const ratio = lookups > 0 ? ns.evictions / lookups : Infinity;
  if (ratio < options.maxEvictionRatio) {
    return reject(
      rule,
      target,
      `${ns.evictions} evictions for ${lookups} lookups (${ratio.toFixed(3)} per lookup) is below ` +
        `maxEvictionRatio ${options.maxEvictionRatio}`,
    );
  }
  // 3. evicted keys read again while they would have been fresh: the evictions cost hits
  if (ns.evictedReads === 0) {
    return reject(
      rule,
      target,
      `none of its ${ns.evictions} evicted keys was stored again while it would still have been fresh ` +
        "(kind evicted_read): the evictions cost no hits",
    );
  }
  const budget = config.limits.cacheSizeBudgetMb;
  const raised = Math.min(maxCacheBudgetMb, Math.max(1, budget * 2));
  return found({
    rule,
    system: "cache",
    subject: `cache:${target}`,
    severity: "warning",
    title: `Cache ${target}: ${ns.evictions} evictions for ${lookups} lookups at a ${budget} MB budget`,
    detail: `Namespace ${target} evicted ${ns.evictions} entries while serving ${lookups} lookups ` +
      `(${ratio === Infinity ? "no lookups" : ratio.toFixed(3) + " per lookup"}, hit rate ` +
      `${
        current.summary.hitRate === null ? "unknown" : percent(current.summary.hitRate)
      }): its working set ` +
      `does not fit in limits.cacheSizeBudgetMb (${budget} MB). ` +
      (raised > budget
        ? `Raise the budget to ${raised} MB, or cache smaller values.`
        : `The budget is at its ceiling (${maxCacheBudgetMb} MB): cache smaller values or fewer keys.`),
    evidence: {
      series: [
        lookupSeries(target),
        `optimizer.metric_rollups(cache/${target}/eviction)`,
        `optimizer.metric_rollups(cache/${target}/evicted_read)`,
      ],
      windows: [input.window],
      statistic: { name: "evictions per lookup", value: ratio === Infinity ? null : ratio, unit: "ratio" },
    },
    gain: lookups > 0
      ? estimatedGain(
        Math.round((ns.evictedReads / lookups) * 10_000) / 10_000,
        "hit rate",
        `the ${ns.evictedReads} misses of keys the budget evicted while fresh (kind evicted_read) become hits ` +
          "once the budget keeps the working set; the other misses are unchanged",
      )
      : null,
    action: raised > budget
      ? { kind: "config", patch: { limits: { cacheSizeBudgetMb: raised } } }
      : { kind: "guidance", text: `Store smaller values in namespace ${target}, or fewer keys.` },
  });
};
