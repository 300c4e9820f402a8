/**
 * The edge analyzer through its adapter on the real stack: requests ingested, rolled up and read back through
 * optimizer.metric_series_rows.
 */
import assert from "node:assert/strict";
import { createEdgeAnalyzer } from "../../shared/analyze/edge_analyzer.ts";
import { event, ingest, recentContext, rollup, uniqueTarget, withSql } from "../support/metric_store_db.ts";
import { MINUTE_MS } from "../../shared/time.ts";

Deno.test("createEdgeAnalyzer() finds cold starts, errors and a slow tail in stored requests", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("edge-analyzer");
    const now = Date.now();
    // 200 requests over the last 20 minutes: every 3rd a cold start, every 10th failed, every 10th slow.
    const events = Array.from({ length: 200 }, (_, i) =>
      event(fn, {
        occurred_at: new Date(now - 20 * MINUTE_MS + i * 6_000).toISOString(),
        latency_ms: i % 10 === 9 ? 900 : 20 + (i % 7),
        cold_start: i % 3 === 0,
        error: i % 10 === 5,
      }));
    assert.equal(await ingest(sql, events), events.length);
    await rollup(sql);

    const result = await createEdgeAnalyzer({ maxTargets: 10_000 }).analyze(recentContext(sql, now));

    const mine = result.findings.filter((f) => f.subject === `edge:${fn}`);
    assert.deepEqual(mine.map((f) => f.rule).sort(), [
      "edge.cold-start-rate",
      "edge.error-rate",
      "edge.tail-latency",
    ]);
    assert.equal(mine.find((f) => f.rule === "edge.cold-start-rate")!.evidence.statistic.value, 67 / 200);
    assert.equal(mine.find((f) => f.rule === "edge.error-rate")!.evidence.statistic.value, 0.1);
    const reasons = result.rejected.filter((r) => r.subject === `edge:${fn}`).map((r) =>
      `${r.rule}: ${r.reason}`
    );
    assert.deepEqual(reasons.map((r) => r.split(":")[0]).sort(), ["edge.p95-rising", "edge.timeout-rate"]);
    assert.ok(
      reasons.includes("edge.p95-rising: 0 requests in the previous window is below minRequests 100"),
    );
  });
});

Deno.test("createEdgeAnalyzer() past its deadline reads no more functions and says how many it left", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("edge-deadline");
    const now = Date.now();
    await ingest(sql, [event(fn, { occurred_at: new Date(now - MINUTE_MS).toISOString() })]);
    await rollup(sql);
    const result = await createEdgeAnalyzer({ maxTargets: 10_000 }).analyze(recentContext(sql, now, now - 1));
    assert.deepEqual(result.findings, []);
    assert.deepEqual(result.rejected, []);
    assert.equal(result.notes.length, 1);
    assert.match(result.notes[0], /^\d+ functions were not read: the run's deadline passed$/);
  });
});
