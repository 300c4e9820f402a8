import assert from "node:assert/strict";
import postgres from "postgres";
import { createRng, normal } from "../../bench/trace/prng.ts";
import { percentile } from "../../bench/stats/percentile.ts";
import { fetchSeries } from "../support/metrics_http.ts";
import { stackEnv } from "../support/env.ts";
import { MINUTE_MS } from "../../shared/time.ts";

/** Ingest through the gateway, roll up in Postgres, read the series back: nothing lost, nothing invented. */

const env = stackEnv();
const metricsUrl = `${env.url}/functions/v1/metrics`;

async function ingest(events: unknown[]): Promise<number> {
  const response = await fetch(metricsUrl, {
    method: "POST",
    headers: { apikey: env.secretKey, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  const answer = await response.json();
  assert.equal(response.status, 202, JSON.stringify(answer));
  return answer.accepted;
}

async function rollUp() {
  const sql = postgres(env.dbUrl, { prepare: false, max: 1, onnotice: () => {} });
  try {
    await sql`select optimizer.rollup_metrics()`;
  } finally {
    await sql.end();
  }
}

Deno.test("ingest -> rollup -> series returns the exact counts, rates and buckets", async () => {
  const target = `round-trip-${crypto.randomUUID()}`;
  const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 5 * MINUTE_MS;
  const at = (offsetMinutes: number, second: number) =>
    new Date(minute + offsetMinutes * MINUTE_MS + second * 1000).toISOString();
  const events = [
    // minute 0: 3 requests, one an error, one a cold start
    { occurredAt: at(0, 1), system: "edge", target, kind: "request", latencyMs: 10 },
    { occurredAt: at(0, 2), system: "edge", target, kind: "request", latencyMs: 20, error: true },
    { occurredAt: at(0, 3), system: "edge", target, kind: "request", latencyMs: 30, coldStart: true },
    // minute 2: 2 cache lookups, one hit one miss, no latency
    { occurredAt: at(2, 5), system: "edge", target, kind: "request", cache: "hit" },
    { occurredAt: at(2, 6), system: "edge", target, kind: "request", cache: "miss" },
  ];
  assert.equal(await ingest(events), events.length);
  await rollUp();

  const answer = await fetchSeries({
    from: at(0, 0),
    to: at(3, 0),
    bucket: "1m",
    system: "edge",
    target,
    kind: "request",
  });
  assert.equal(answer.buckets.length, 3);
  const [first, empty, third] = answer.buckets;
  assert.equal(first.count, 3);
  assert.equal(first.errorRate, 1 / 3);
  assert.equal(first.coldStartRate, 1 / 3);
  assert.equal(first.hitRate, null);
  assert.equal(first.min, 10);
  assert.equal(first.max, 30);
  assert.equal(empty.count, 0);
  assert.equal(third.count, 2);
  assert.equal(third.hitRate, 0.5);
  assert.equal(third.p50, null, "no latencies, no percentiles");
  assert.equal(answer.summary.count, 5);

  // Rolling up again must not count anything twice.
  await rollUp();
  const again = await fetchSeries({ from: at(0, 0), to: at(3, 0), bucket: "1m", target });
  assert.equal(again.summary.count, 5);
});

Deno.test("p50, p95 and p99 from rollups are within 2 % of the exact values over 100,000 latencies", async () => {
  const target = `percentiles-${crypto.randomUUID()}`;
  const random = createRng(20261126);
  const start = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 30 * MINUTE_MS;
  const latencies: number[] = [];
  const batches: unknown[][] = [];
  for (let b = 0; b < 100; b++) {
    const batch = [];
    for (let i = 0; i < 1000; i++) {
      // A log-normal body (median ~40 ms) with a slow tail from one request in twenty.
      const latencyMs = Math.exp(Math.log(40) + 0.6 * normal(random)) * (random() < 0.05 ? 25 : 1);
      latencies.push(latencyMs);
      batch.push({
        occurredAt: new Date(start + Math.floor(random() * 20 * MINUTE_MS)).toISOString(),
        system: "db",
        target,
        kind: "query",
        latencyMs,
      });
    }
    batches.push(batch);
  }
  for (let i = 0; i < batches.length; i += 4) {
    const accepted = await Promise.all(batches.slice(i, i + 4).map(ingest));
    assert.deepEqual(accepted, accepted.map(() => 1000));
  }
  await rollUp();

  const answer = await fetchSeries({
    from: new Date(start).toISOString(),
    to: new Date(start + 20 * MINUTE_MS).toISOString(),
    bucket: "5m",
    target,
  });
  assert.equal(answer.summary.count, 100_000);
  for (const [name, p] of [["p50", 50], ["p95", 95], ["p99", 99]] as const) {
    const exact = percentile(latencies, p)!;
    const relativeError = Math.abs(answer.summary[name] - exact) / exact;
    assert.ok(relativeError <= 0.02, `${name}: ${answer.summary[name]} vs exact ${exact} (${relativeError})`);
  }
});
