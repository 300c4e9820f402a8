/**
 * Weighted events (`count`: one event standing for many occurrences): every rollup tier and every series
 * counts occurrences, only a secret key may send a weight, and events stored before weights existed count
 * as one each.
 */
import assert from "node:assert/strict";
import { HOUR_MS, MINUTE_MS } from "../../shared/time.ts";
import { maxEventCount } from "../../shared/metrics/metric_event.ts";
import { fetchSeries } from "../support/metrics_http.ts";
import { stackEnv, userJwt } from "../support/env.ts";
import { rollup, uniqueTarget, withSql } from "../support/metric_store_db.ts";

const env = stackEnv();
const metricsUrl = `${env.url}/functions/v1/metrics`;

async function post(headers: Record<string, string>, events: unknown[]) {
  const response = await fetch(metricsUrl, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test("weighted events roll up to exact counts in every tier and in GET /metrics series", async () => {
  const target = uniqueTarget("weights");
  const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const at = (minute: number) => new Date(hour + minute * MINUTE_MS + 1000).toISOString();
  const events = [
    { occurredAt: at(3), system: "edge", target, kind: "request", latencyMs: 10, error: true, count: 40 },
    { occurredAt: at(7), system: "edge", target, kind: "request", latencyMs: 30, coldStart: true, count: 25 },
    { occurredAt: at(7), system: "edge", target, kind: "request", latencyMs: 50 },
    { occurredAt: at(42), system: "edge", target, kind: "request", cache: "hit", count: 5 },
  ];
  const accepted = await post({ apikey: env.secretKey }, events);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  assert.equal(accepted.body.accepted, 4, "accepted counts events, not occurrences");

  await withSql(async (sql) => {
    await rollup(sql);
    for (const table of ["metric_rollups", "metric_rollups_5min", "metric_rollups_hourly"]) {
      const [row] = await sql`
        select sum(count)::int as count, sum(errors)::int as errors, sum(cold_starts)::int as cold_starts,
               sum(hits)::int as hits, sum(misses)::int as misses, sum(latency_count)::int as latency_count,
               sum(latency_sum) as latency_sum,
               (select sum(h.value::int) from ${sql("optimizer." + table)} r2, jsonb_each_text(r2.histogram) h
                where r2.target = ${target})::int as histogram_count
        from ${sql("optimizer." + table)} where target = ${target}`;
      assert.deepEqual({ ...row }, {
        count: 71,
        errors: 40,
        cold_starts: 25,
        hits: 5,
        misses: 0,
        latency_count: 66,
        latency_sum: 40 * 10 + 25 * 30 + 50,
        histogram_count: 66,
      }, table);
    }
  });

  // 1-minute, 5-minute and 1-hour buckets read the minute, 5-minute and hourly tiers
  for (const bucket of ["1m", "5m", "1h"]) {
    const answer = await fetchSeries({
      from: new Date(hour).toISOString(),
      to: new Date(hour + HOUR_MS).toISOString(),
      bucket,
      target,
    });
    assert.equal(answer.summary.count, 71, bucket);
    assert.equal(answer.summary.errorRate, 40 / 71, bucket);
    assert.equal(answer.summary.coldStartRate, 25 / 71, bucket);
    assert.equal(answer.summary.mean, 1200 / 66, bucket);
  }
});

Deno.test("series sum a latency bucket past 2^31 occurrences without overflowing", async () => {
  const target = uniqueTarget("weights-big");
  const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const batch = Array.from({ length: 550 }, (_, i) => ({
    occurredAt: new Date(hour + (i % 60) * MINUTE_MS).toISOString(),
    system: "edge",
    target,
    kind: "request",
    latencyMs: 10,
    count: maxEventCount,
  }));
  for (let i = 0; i < 4; i++) {
    const accepted = await post({ apikey: env.secretKey }, batch);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  }
  await withSql(rollup);
  const answer = await fetchSeries({
    from: new Date(hour).toISOString(),
    to: new Date(hour + HOUR_MS).toISOString(),
    bucket: "1h",
    target,
  });
  assert.equal(answer.summary.count, 2200 * maxEventCount);
  assert.ok(Math.abs(answer.summary.p50 - 10) <= 0.1, `p50 ${answer.summary.p50}`);
});

Deno.test("a user's session JWT sending count > 1 gets 403 naming the field, and nothing is stored", async () => {
  const target = uniqueTarget("user-weight");
  const token = await userJwt(crypto.randomUUID());
  const answer = await post(
    { apikey: env.publishableKey, authorization: `Bearer ${token}` },
    [
      { occurredAt: new Date().toISOString(), system: "app", target, kind: "request", latencyMs: 5 },
      { occurredAt: new Date().toISOString(), system: "app", target, kind: "request", count: 1000 },
    ],
  );
  assert.equal(answer.status, 403, JSON.stringify(answer.body));
  assert.deepEqual(answer.body.issues, [{
    path: "events[1].count",
    message: "a user credential may not send count > 1 (only a secret key may): got 1000",
  }]);
  const [{ n }] = await withSql((sql) =>
    sql`select count(*)::int as n from optimizer.metric_events where target = ${target}`
  );
  assert.equal(n, 0);
});

Deno.test("the weight migration makes events stored before it count as one each", async () => {
  const migration = await Deno.readTextFile(
    new URL("../../supabase/migrations/20261128000500_optimizer_event_weights.sql", import.meta.url),
  );
  const target = uniqueTarget("pre-weight");
  await withSql(async (sql) => {
    // In one transaction rolled back at the end: the table as it was before the migration, with events in
    // it, then the migration itself, then a rollup.
    await sql.begin(async (tx) => {
      await tx`alter table optimizer.metric_events drop column weight`;
      await tx`
        insert into optimizer.metric_events (occurred_at, system, target, kind, latency_ms, error)
        select now() - make_interval(secs => i), 'edge', ${target}, 'request', 10 * i, i % 2 = 0
        from generate_series(1, 3) i`;
      await tx.unsafe(migration).simple();
      const weights = await tx`select weight from optimizer.metric_events where target = ${target}`;
      assert.deepEqual(weights.map((row) => row.weight), [1, 1, 1]);
      await tx`select optimizer.rollup_metrics('manual')`;
      const [row] = await tx`
        select sum(count)::int as count, sum(errors)::int as errors, sum(latency_count)::int as latency_count
        from optimizer.metric_rollups where target = ${target}`;
      assert.deepEqual({ ...row }, { count: 3, errors: 1, latency_count: 3 });
      throw new Rollback();
    }).catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
  });
});

class Rollback extends Error {}
