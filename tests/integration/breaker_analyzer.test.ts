/**
 * The breaker analyzer through its adapter on the real stack: a shared breaker's calls ingested, rolled up and
 * read back through optimizer.metric_series_rows.
 */
import assert from "node:assert/strict";
import { createBreakerAnalyzer } from "../../shared/analyze/breaker_analyzer.ts";
import { event, ingest, recentContext, rollup, uniqueTarget, withSql } from "../support/metric_store_db.ts";
import { MINUTE_MS } from "../../shared/time.ts";

Deno.test("createBreakerAnalyzer() suggests settings from a breaker's stored calls, outage included", async () => {
  await withSql(async (sql) => {
    const breaker = uniqueTarget("breaker-analyzer");
    const now = Date.now();
    // from a whole minute, so that each minute of calls fills one bucket
    const start = Math.floor(now / MINUTE_MS) * MINUTE_MS - 25 * MINUTE_MS;
    // 300 calls over 25 minutes, 12 a minute; minutes 10 to 14 all fail, one call in 100 otherwise
    const events = Array.from({ length: 300 }, (_, i) => {
      const minute = Math.floor(i / 12);
      return event(breaker, {
        kind: "breaker_call",
        occurred_at: new Date(start + i * 5_000).toISOString(),
        latency_ms: 30 + (i % 20),
        error: (minute >= 10 && minute < 15) || i % 100 === 7,
      });
    });
    assert.equal(await ingest(sql, events), events.length);
    await rollup(sql);

    const result = await createBreakerAnalyzer({ maxTargets: 10_000 }).analyze(recentContext(sql, now));

    const mine = result.findings.filter((f) => f.subject === `breaker:${breaker}`);
    assert.equal(
      mine.length,
      1,
      JSON.stringify(result.rejected.filter((r) => r.subject === `breaker:${breaker}`)),
    );
    assert.equal(mine[0].rule, "resilience.breaker-settings");
    assert.match(
      mine[0].title,
      /open after 3 failures in a row, probe every 15 s, time calls out after \d+ ms$/,
    );
    assert.match(mine[0].detail, /1 outage\(s\), median 300 s/);
  });
});
