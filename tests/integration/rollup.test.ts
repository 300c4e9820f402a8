/**
 * optimizer.ingest_metric_events -> optimizer.rollup_metrics -> optimizer.metric_series at the SQL level:
 * exact counts, exactly-once under concurrent rollups and ingest, late events, and the latency buckets.
 */
import assert from "node:assert/strict";
import { bucketIndex, quantile } from "../../shared/metrics/latency_histogram.ts";
import {
  connect,
  event,
  ingest,
  rollup,
  seriesTotals,
  uniqueTarget,
  withSql,
} from "../support/metric_store_db.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

Deno.test("ingest, rollup and metric_series give exact counts", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("round-trip");
    const now = Date.now();
    const events = [
      event(target, { latency_ms: 5, error: true }),
      event(target, { latency_ms: 7, cold_start: true }),
      event(target, { latency_ms: null, cache: "hit", system: "cache", kind: "get" }),
      event(target, { latency_ms: null, cache: "miss", system: "cache", kind: "get" }),
      event(target, { latency_ms: 1200, occurred_at: new Date(now - 2 * MINUTE_MS).toISOString() }),
    ];
    assert.equal(await ingest(sql, events), 5);
    await rollup(sql);

    const totals = await seriesTotals(sql, target, new Date(now - 10 * MINUTE_MS), new Date(now + MINUTE_MS));
    assert.deepEqual(
      { ...totals, histogram: undefined },
      { count: 5, errors: 1, coldStarts: 1, hits: 1, misses: 1, latencyCount: 3, histogram: undefined },
    );
    assert.deepEqual(totals.histogram, {
      [bucketIndex(5)]: 1,
      [bucketIndex(7)]: 1,
      [bucketIndex(1200)]: 1,
    });

    const [row] = await sql`
      select latency_sum, latency_min, latency_max from optimizer.metric_series(
        ${new Date(now - 10 * MINUTE_MS).toISOString()}::timestamptz, ${
      new Date(now + MINUTE_MS).toISOString()
    }::timestamptz,
        '1 hour', 'edge', ${target}, 'request')`;
    assert.deepEqual(row, { latency_sum: 1212, latency_min: 5, latency_max: 1200 });
  });
});

Deno.test("a second rollup adds nothing", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("twice");
    const now = Date.now();
    await ingest(sql, Array.from({ length: 50 }, () => event(target)));
    await rollup(sql);
    const second = await rollup(sql);
    const totals = await seriesTotals(sql, target, new Date(now - MINUTE_MS), new Date(now + MINUTE_MS));
    assert.equal(totals.count, 50);
    assert.equal(typeof second.watermark, "number");
    const [state] = await sql`select last_event_id from optimizer.rollup_state`;
    assert.ok(Number(state.last_event_id) >= Number(second.watermark));
  });
});

Deno.test("two concurrent rollups while a third connection ingests count every event exactly once", async () => {
  const target = uniqueTarget("concurrent");
  const [ingester, rollerA, rollerB] = [connect(), connect(), connect()];
  try {
    const start = Date.now();
    const batches = 40;
    const batchSize = 250;
    let ingesting = true;
    const ingestLoop = (async () => {
      let total = 0;
      for (let b = 0; b < batches; b++) {
        total += await ingest(
          ingester,
          Array.from({ length: batchSize }, (_, i) =>
            event(target, {
              latency_ms: 1 + ((b * batchSize + i) % 300),
              occurred_at: new Date(Date.now() - (i % 5) * MINUTE_MS).toISOString(),
            })),
        );
      }
      ingesting = false;
      return total;
    })();
    const rollLoop = async (sql: typeof rollerA) => {
      let runs = 0;
      while (ingesting) {
        await rollup(sql);
        runs++;
      }
      return runs;
    };
    const [ingested, runsA, runsB] = await Promise.all([ingestLoop, rollLoop(rollerA), rollLoop(rollerB)]);
    await rollup(rollerA);

    assert.equal(ingested, batches * batchSize);
    assert.ok(runsA + runsB >= 2, `expected rollups to overlap the ingest, got ${runsA} + ${runsB}`);
    const totals = await seriesTotals(
      rollerB,
      target,
      new Date(start - 10 * MINUTE_MS),
      new Date(Date.now() + MINUTE_MS),
    );
    assert.equal(totals.count, ingested);
    assert.equal(totals.latencyCount, ingested);
    assert.equal(Object.values(totals.histogram).reduce((a, b) => a + b, 0), ingested);
    const [raw] =
      await rollerB`select count(*)::int as n from optimizer.metric_events where target = ${target}`;
    assert.equal(raw.n, ingested);
  } finally {
    await Promise.all([ingester.end(), rollerA.end(), rollerB.end()]);
  }
});

Deno.test("a late event is folded into its own minute", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("late");
    const lateAt = new Date(Date.now() - 3 * DAY_MS);
    await ingest(sql, [event(target, { occurred_at: lateAt.toISOString() })]);
    await rollup(sql);
    await ingest(sql, [
      event(target, { occurred_at: new Date(lateAt.getTime() + 1000).toISOString(), error: true }),
    ]);
    await rollup(sql);

    const rows = await sql`
      select minute, count::int, errors::int from optimizer.metric_rollups where target = ${target}`;
    const expectedMinute = new Date(Math.floor(lateAt.getTime() / MINUTE_MS) * MINUTE_MS);
    const lateMinuteRows = rows.filter((r) => r.minute.getTime() === expectedMinute.getTime());
    // the two events may straddle a minute boundary only if lateAt is in the last second of its minute
    const total = rows.reduce((sum, r) => sum + r.count, 0);
    assert.equal(total, 2);
    assert.ok(lateMinuteRows.length === 1 && lateMinuteRows[0].count >= 1);
    assert.ok(rows.every((r) => Math.abs(r.minute.getTime() - expectedMinute.getTime()) <= MINUTE_MS));
  });
});

Deno.test("latency_bucket equals bucketIndex of shared/metrics/latency_histogram.ts, also inside the rollup", async () => {
  const gamma = (1 + 0.01) / (1 - 0.01);
  const values = [
    -5,
    0,
    1e-9,
    0.0005,
    0.001,
    0.0010001,
    0.5,
    1,
    gamma,
    gamma * gamma,
    Math.pow(gamma, 100),
    Math.pow(gamma, -3),
    1.0000001,
    0.9999999,
    12.5,
    100,
    1000,
    59_999.9,
    MINUTE_MS,
    HOUR_MS,
    1e12,
    Number.MIN_VALUE,
  ];
  await withSql(async (sql) => {
    for (const ms of values) {
      const [{ bucket }] = await sql`select optimizer.latency_bucket(${
        String(ms)
      }::double precision) as bucket`;
      assert.equal(bucket, bucketIndex(ms) + 0, `latency_bucket(${ms})`); // + 0: Math.ceil gives -0
    }
    const [{ bucket }] = await sql`select optimizer.latency_bucket(null) as bucket`;
    assert.equal(bucket, null);

    const target = uniqueTarget("buckets");
    const now = Date.now();
    await ingest(sql, values.map((ms) => event(target, { latency_ms: ms })));
    await rollup(sql);
    const totals = await seriesTotals(sql, target, new Date(now - MINUTE_MS), new Date(now + MINUTE_MS));
    const expected: Record<string, number> = {};
    for (const ms of values) expected[bucketIndex(ms)] = (expected[bucketIndex(ms)] ?? 0) + 1;
    assert.deepEqual(totals.histogram, expected);
  });
});

Deno.test("p50/p95/p99 read from the merged histogram are within 2 % of the exact values", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("quantiles");
    const now = Date.now();
    // deterministic spread over four decades, across several minutes so the series merges rollup rows
    const latencies = Array.from({ length: 2000 }, (_, i) => Math.pow(10, ((i * 7919) % 2000) / 500) * 0.37);
    await ingest(
      sql,
      latencies.map((ms, i) =>
        event(target, {
          latency_ms: ms,
          occurred_at: new Date(now - (i % 4) * MINUTE_MS).toISOString(),
        })
      ),
    );
    await rollup(sql);
    const totals = await seriesTotals(sql, target, new Date(now - 10 * MINUTE_MS), new Date(now + MINUTE_MS));
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
      const estimate = quantile(totals.histogram, q)!;
      assert.ok(Math.abs(estimate - exact) / exact <= 0.02, `p${q * 100}: ${estimate} vs exact ${exact}`);
    }
  });
});
