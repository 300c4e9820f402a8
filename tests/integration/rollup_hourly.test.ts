/**
 * The hourly rollup tier: the same rollup writes it, so it always equals the sum of its minutes (late events
 * included); series of whole hours read it, and its histograms give the same percentiles as the minutes'.
 */
import assert from "node:assert/strict";
import { mergeHistograms, quantile } from "../../shared/latency_histogram.ts";
import {
  day,
  event,
  ingest,
  minute,
  rollup,
  seriesTotals,
  type Sql,
  uniqueTarget,
  withSql,
} from "../support/metric_store_db.ts";

const hour = 60 * minute;
const currentHour = () => Math.floor(Date.now() / hour) * hour;

interface TierRow {
  count: number;
  errors: number;
  latencySum: number;
  min: number | null;
  max: number | null;
  histogram: Record<string, number>;
}

/** Rows of one tier for a target, keyed by hour (minute rows summed into their hour). */
async function byHour(sql: Sql, target: string, tier: "minute" | "hour"): Promise<Record<string, TierRow>> {
  const rows = tier === "hour"
    ? await sql`
      select hour as at, count, errors, latency_sum, latency_min, latency_max, histogram
      from optimizer.metric_rollups_hourly where target = ${target}`
    : await sql`
      select minute as at, count, errors, latency_sum, latency_min, latency_max, histogram
      from optimizer.metric_rollups where target = ${target}`;
  const hours: Record<string, TierRow> = {};
  for (const row of rows) {
    const key = new Date(Math.floor(row.at.getTime() / hour) * hour).toISOString();
    const into = hours[key] ??= { count: 0, errors: 0, latencySum: 0, min: null, max: null, histogram: {} };
    into.count += Number(row.count);
    into.errors += Number(row.errors);
    into.latencySum += row.latency_sum;
    into.min = into.min === null ? row.latency_min : Math.min(into.min, row.latency_min);
    into.max = into.max === null ? row.latency_max : Math.max(into.max, row.latency_max);
    into.histogram = mergeHistograms(into.histogram, row.histogram);
  }
  return hours;
}

Deno.test("the hourly tier equals the sum of its minutes, late events folded into their old hour", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("hourly");
    const now = Date.now();
    await ingest(
      sql,
      Array.from({ length: 300 }, (_, i) =>
        event(target, {
          latency_ms: 1 + (i * 37) % 500,
          error: i % 7 === 0,
          occurred_at: new Date(now - (i % 150) * minute).toISOString(),
        })),
    );
    await rollup(sql);
    const lateAt = new Date(now - 2 * day);
    await ingest(sql, [event(target, { latency_ms: 2_500, occurred_at: lateAt.toISOString() })]);
    await rollup(sql);
    await rollup(sql);

    const hours = await byHour(sql, target, "hour");
    assert.deepEqual(hours, await byHour(sql, target, "minute"));
    const lateHour = new Date(Math.floor(lateAt.getTime() / hour) * hour).toISOString();
    assert.equal(hours[lateHour]?.count, 1);
    assert.equal(Object.values(hours).reduce((sum, h) => sum + h.count, 0), 301);
  });
});

Deno.test("series of whole hours read the hourly tier, so they reach back past the minutes' retention", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("tier-choice");
    const to = new Date(currentHour());
    const from = new Date(to.getTime() - 3 * hour);
    await ingest(
      sql,
      Array.from({ length: 12 }, (_, i) =>
        event(target, {
          occurred_at: new Date(from.getTime() + i * 15 * minute).toISOString(),
        })),
    );
    await rollup(sql);
    // what apply_retention does to minutes older than rollupDays, here for this target only
    await sql`delete from optimizer.metric_rollups where target = ${target}`;

    assert.equal((await seriesTotals(sql, target, from, to)).count, 12);
    const [{ n }] = await sql`
      select coalesce(sum(count), 0)::int as n from optimizer.metric_series(
        ${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz, '5 minutes', null, ${target}, null)`;
    assert.equal(n, 0, "5-minute buckets read minute rows");
  });
});

Deno.test("percentiles from the hourly tier equal the minutes' and are within 2 % of the exact values", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("hourly-quantiles");
    const to = new Date(currentHour());
    const from = new Date(to.getTime() - 2 * hour);
    const latencies = Array.from({ length: 2400 }, (_, i) => Math.pow(10, ((i * 7919) % 2400) / 600) * 0.37);
    await ingest(
      sql,
      latencies.map((ms, i) =>
        event(target, {
          latency_ms: ms,
          occurred_at: new Date(from.getTime() + (i % 120) * minute).toISOString(),
        })
      ),
    );
    await rollup(sql);

    const fromHours = await seriesTotals(sql, target, from, to);
    // a window ending one minute past the hour is not made of whole hours: minute rows answer
    const fromMinutes = await seriesTotals(sql, target, from, new Date(to.getTime() + minute));
    assert.deepEqual(fromHours, fromMinutes);
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
      const estimate = quantile(fromHours.histogram, q)!;
      assert.ok(Math.abs(estimate - exact) / exact <= 0.02, `p${q * 100}: ${estimate} vs exact ${exact}`);
    }
  });
});
