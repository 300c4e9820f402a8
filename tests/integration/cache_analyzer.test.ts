/**
 * The cache analyzer through its adapter on the real stack: events ingested, rolled up, read back through
 * optimizer.metric_series_rows and raw events' attrs.
 */
import assert from "node:assert/strict";
import { createCacheAnalyzer } from "../../shared/analyze/cache_analyzer.ts";
import {
  event,
  ingest,
  recentContext,
  rollup,
  type TestEvent,
  uniqueTarget,
  withSql,
} from "../support/metric_store_db.ts";
import { MINUTE_MS } from "../../shared/time.ts";

function lookups(namespace: string, at: number, hits: number, misses: number, attrs = {}): TestEvent[] {
  const base = {
    system: "cache" as const,
    kind: "lookup",
    latency_ms: 1,
    occurred_at: new Date(at).toISOString(),
  };
  return [
    ...Array.from({ length: hits }, () => event(namespace, { ...base, cache: "hit" })),
    ...Array.from({ length: misses }, () => event(namespace, { ...base, cache: "miss", attrs })),
  ];
}

Deno.test("createCacheAnalyzer() finds a low hit rate, a short TTL and evictions over budget with the misses they caused in stored events", async () => {
  await withSql(async (sql) => {
    const namespace = uniqueTarget("cache-analyzer");
    const now = Date.now();
    const events = [
      // 20 minutes ago to now: 200 lookups, 40 % hits; every miss re-read its key 10 s after a 60 s TTL ran out
      ...Array.from(
        { length: 10 },
        (_, i) =>
          lookups(namespace, now - (20 - 2 * i) * MINUTE_MS, 8, 12, { ttlMs: 60_000, expiredMs: 10_000 }),
      ).flat(),
      ...Array.from({ length: 30 }, () =>
        event(namespace, {
          system: "cache",
          kind: "eviction",
          latency_ms: null,
          occurred_at: new Date(now - 5 * MINUTE_MS).toISOString(),
        })),
      // 12 of the evicted keys stored again while they would still have been fresh
      ...Array.from({ length: 12 }, () =>
        event(namespace, {
          system: "cache",
          kind: "evicted_read",
          latency_ms: null,
          occurred_at: new Date(now - 4 * MINUTE_MS).toISOString(),
        })),
    ];
    assert.equal(await ingest(sql, events), events.length);
    await rollup(sql);

    const result = await createCacheAnalyzer({ maxTargets: 10_000 }).analyze(recentContext(sql, now));

    const mine = result.findings.filter((f) => f.subject === `cache:${namespace}`);
    assert.deepEqual(mine.map((f) => f.rule).sort(), [
      "cache.evictions-over-budget",
      "cache.low-hit-rate",
      "cache.ttl-too-short",
    ]);
    const ttl = mine.find((f) => f.rule === "cache.ttl-too-short")!;
    assert.equal(ttl.evidence.statistic.value, 1);
    assert.match(ttl.detail, /within 70000 ms of being written/);
    const evictions = mine.find((f) => f.rule === "cache.evictions-over-budget")!;
    assert.equal(evictions.evidence.statistic.value, 30 / 200);
    assert.deepEqual([evictions.gain?.value, evictions.gain?.unit], [12 / 200, "hit rate"]);
    // Nothing in the previous window: the trend is not judged, and the reason says so.
    assert.deepEqual(
      result.rejected.filter((r) => r.subject === `cache:${namespace}` && r.rule === "cache.hit-rate-falling")
        .map((r) => r.reason),
      ["0 lookups in the previous window is below minLookups 100"],
    );
  });
});
