import assert from "node:assert/strict";
import { parseConfig } from "../../shared/config/config.ts";
import {
  analyzeCache,
  cacheAnalyzerDefaults,
  type CacheNamespaceInput,
  resolveCacheOptions,
  type TtlSample,
} from "../../shared/analyze/cache.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import {
  fixturePreviousWindow,
  fixtureWindow,
  type MinuteFigures,
  ruleOutcome,
  targetSeries,
} from "../support/analysis_fixtures.ts";

const config = parseConfig({});

function namespace(
  minute: (i: number) => MinuteFigures,
  extra: { previous?: MinuteFigures; evictions?: number; evictedReads?: number; ttl?: TtlSample | null } = {},
): CacheNamespaceInput {
  return {
    lookups: targetSeries("cache", "robots", "lookup", minute, extra.previous ?? { hits: 900, misses: 100 }),
    evictions: extra.evictions ?? 0,
    evictedReads: extra.evictedReads ?? 0,
    ttl: extra.ttl ?? null,
  };
}

function run(ns: CacheNamespaceInput, cfg = config) {
  return analyzeCache(
    { namespaces: [ns], window: fixtureWindow, previousWindow: fixturePreviousWindow },
    cfg,
  );
}

const healthy = (_i: number): MinuteFigures => ({ hits: 18, misses: 2 });

Deno.test("resolveCacheOptions() names the option, its bound and the value", () => {
  assert.throws(() => resolveCacheOptions({ minLookups: 0 }), /minLookups must be >= 1: got 0/);
  assert.throws(() => resolveCacheOptions({ maxTrendPValue: 2 }), /maxTrendPValue must be <= 1: got 2/);
  assert.throws(
    () => resolveCacheOptions({ minBurstMisses: 2.5 }),
    /minBurstMisses must be a whole number: got 2.5/,
  );
  assert.throws(
    () => resolveCacheOptions({ minLookup: 3 } as never),
    /unknown option minLookup: expected one of minLookups/,
  );
  assert.deepEqual(resolveCacheOptions(), cacheAnalyzerDefaults);
});

Deno.test("analyzeCache() reports a hit rate below minCacheHitRate with its Wilson interval", () => {
  const { finding } = ruleOutcome(run(namespace(() => ({ hits: 10, misses: 10 }))), "cache.low-hit-rate");
  assert.ok(finding);
  FindingSchema.parse(finding);
  assert.equal(finding.subject, "cache:robots");
  assert.equal(finding.evidence.statistic.value, 0.5);
  assert.match(finding.detail, /600 of 1200 lookups: 50\.0 % \(95 % interval 47\.2–52\.8 %, n = 1200\)/);
  assert.deepEqual(finding.evidence.windows, [fixtureWindow]);
  assert.equal(finding.gain?.kind, "estimated");
});

Deno.test("analyzeCache() does not judge a hit rate on fewer than minLookups lookups", () => {
  const { finding, reasons } = ruleOutcome(
    run(namespace((i) => (i === 0 ? { hits: 10, misses: 40 } : {}))),
    "cache.low-hit-rate",
  );
  assert.equal(finding, undefined);
  assert.deepEqual(reasons, ["50 lookups is below minLookups 100"]);
});

Deno.test("analyzeCache() does not report a low hit rate whose interval reaches the threshold", () => {
  const { finding, reasons } = ruleOutcome(
    run(namespace((i) => (i < 5 ? { hits: 15, misses: 5 } : i < 10 ? { hits: 16, misses: 4 } : {}))),
    "cache.low-hit-rate",
  );
  assert.equal(finding, undefined);
  assert.match(
    reasons[0],
    /hit rate 77\.5 % .* is below minCacheHitRate 80\.0 %, but its interval reaches it/,
  );
});

Deno.test("analyzeCache() does not report a hit rate at or above minCacheHitRate", () => {
  const { reasons } = ruleOutcome(run(namespace(healthy)), "cache.low-hit-rate");
  assert.match(reasons[0], /hit rate 90\.0 % .* is at or above minCacheHitRate 80\.0 %/);
});

Deno.test("analyzeCache() reports a hit rate that fell from the previous window, with its z-test", () => {
  const { finding } = ruleOutcome(
    run(namespace(() => ({ hits: 14, misses: 6 }), { previous: { hits: 950, misses: 50 } })),
    "cache.hit-rate-falling",
  );
  assert.ok(finding);
  assert.deepEqual(finding.evidence.windows, [fixturePreviousWindow, fixtureWindow]);
  assert.ok(Math.abs(Number(finding.evidence.statistic.value) - 0.25) < 1e-9);
  assert.match(finding.detail, /p < 0\.001/);
});

Deno.test("analyzeCache() does not report a hit rate that held steady", () => {
  const { finding, reasons } = ruleOutcome(run(namespace(healthy)), "cache.hit-rate-falling");
  assert.equal(finding, undefined);
  assert.deepEqual(reasons, [
    "hit rate went from 90.0 % to 90.0 %: a fall of 0.0 % is below minTrendDrop 5.0 %",
  ]);
});

Deno.test("analyzeCache() does not report a fall chance explains", () => {
  const { reasons } = ruleOutcome(
    run(namespace((i) => (i < 5 ? { hits: 16, misses: 4 } : {}), { previous: { hits: 110, misses: 10 } })),
    "cache.hit-rate-falling",
  );
  assert.match(reasons[0], /hit rate fell 11\.7 % but p = 0\.0\d\d is above maxTrendPValue 0\.01/);
});

Deno.test("analyzeCache() reports minutes of miss bursts", () => {
  const { finding } = ruleOutcome(
    run(namespace((i) => (i === 30 ? { hits: 18, misses: 60 } : { hits: 18, misses: 2 }))),
    "cache.miss-burst",
  );
  assert.ok(finding);
  assert.equal(finding.evidence.statistic.value, 1);
  assert.match(finding.detail, /2026-01-05T12:30Z: 60 misses of 78/);
});

Deno.test("analyzeCache() sees no burst when misses stay near their median", () => {
  const { finding, reasons } = ruleOutcome(run(namespace(healthy)), "cache.miss-burst");
  assert.equal(finding, undefined);
  assert.deepEqual(reasons, [
    "the worst minute had 2 misses, below 20 (burstFactor 3 × median 2 per minute, at least minBurstMisses 20)",
  ]);
});

const ttl = (justExpired: number): TtlSample => ({
  misses: 120,
  described: 100,
  justExpired,
  ttlMs: 60_000,
  rereferenceP90Ms: 84_000,
});

Deno.test("analyzeCache() reports keys re-read just after their TTL, suggesting the re-reference interval", () => {
  const { finding } = ruleOutcome(run(namespace(healthy, { ttl: ttl(60) })), "cache.ttl-too-short");
  assert.ok(finding);
  assert.equal(finding.evidence.statistic.value, 0.6);
  assert.match(
    finding.action.kind === "guidance" ? finding.action.text : "",
    /from 60000 ms towards 84000 ms/,
  );
  assert.equal(finding.gain?.kind, "estimated");
});

Deno.test("analyzeCache() keeps the TTL when few misses follow an expiry", () => {
  const { reasons } = ruleOutcome(run(namespace(healthy, { ttl: ttl(10) })), "cache.ttl-too-short");
  assert.deepEqual(reasons, [
    "10.0 % of 100 described misses re-read a key within 1.5 TTLs, below maxJustExpiredShare 30.0 %",
  ]);
});

Deno.test("analyzeCache() says when misses carry no TTL attrs", () => {
  const { reasons } = ruleOutcome(run(namespace(healthy)), "cache.ttl-too-short");
  assert.deepEqual(reasons, [
    "0 of 120 misses carry attrs ttlMs and expiredMs, below minTtlSamples 50: the re-reference interval is unknown",
  ]);
});

Deno.test("analyzeCache() proposes a larger cacheSizeBudgetMb when evictions outgrow it", () => {
  const { finding } = ruleOutcome(
    run(namespace(healthy, { evictions: 300, evictedReads: 60 })),
    "cache.evictions-over-budget",
  );
  assert.ok(finding);
  assert.deepEqual(finding.action, { kind: "config", patch: { limits: { cacheSizeBudgetMb: 128 } } });
  assert.equal(finding.evidence.statistic.value, 0.25);
});

Deno.test("analyzeCache() states a larger budget's gain as the misses its evictions caused, per lookup", () => {
  const { finding } = ruleOutcome(
    run(namespace(healthy, { evictions: 300, evictedReads: 60 })),
    "cache.evictions-over-budget",
  );
  assert.equal(finding?.gain?.kind, "estimated");
  assert.deepEqual([finding?.gain?.value, finding?.gain?.unit], [0.05, "hit rate"]);
  assert.match(
    finding?.gain?.kind === "estimated" ? finding.gain.model : "",
    /^the 60 misses of keys the budget evicted/,
  );
});

Deno.test("analyzeCache() leaves evictions of keys never read again while fresh alone: they cost no hits", () => {
  const { finding, reasons } = ruleOutcome(
    run(namespace(healthy, { evictions: 300 })),
    "cache.evictions-over-budget",
  );
  assert.equal(finding, undefined);
  assert.deepEqual(reasons, [
    "none of its 300 evicted keys was stored again while it would still have been fresh (kind evicted_read): " +
    "the evictions cost no hits",
  ]);
});

Deno.test("analyzeCache() gives guidance when the cache budget is already at its ceiling", () => {
  const { finding } = ruleOutcome(
    run(
      namespace(healthy, { evictions: 300, evictedReads: 60 }),
      parseConfig({ limits: { cacheSizeBudgetMb: 256 } }),
    ),
    "cache.evictions-over-budget",
  );
  assert.equal(finding?.action.kind, "guidance");
});

Deno.test("analyzeCache() accepts evictions that are a small share of lookups", () => {
  const { finding, reasons } = ruleOutcome(
    run(namespace(healthy, { evictions: 20 })),
    "cache.evictions-over-budget",
  );
  assert.equal(finding, undefined);
  assert.deepEqual(reasons, [
    "20 evictions for 1200 lookups (0.017 per lookup) is below maxEvictionRatio 0.05",
  ]);
});
