/**
 * The coarser rollup tiers (5 minutes, 1 hour): the same rollup writes them, so they always equal the sum of
 * their minutes (late events included); series read the coarsest tier that tiles their buckets, and its
 * histograms give the same percentiles as the minutes'.
 */
import assert from "node:assert/strict";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";
import { mergeHistograms, quantile } from "../../shared/metrics/latency_histogram.ts";
import { type MetricSeriesRow, seriesFromRollups } from "../../shared/metrics/series.ts";
import {
  event,
  ingest,
  rollup,
  seriesTotals,
  type Sql,
  uniqueTarget,
  withSql,
} from "../support/metric_store_db.ts";

const currentHour = () => Math.floor(Date.now() / HOUR_MS) * HOUR_MS;

interface TierRow {
  count: number;
  errors: number;
  latencySum: number;
  min: number | null;
  max: number | null;
  histogram: Record<string, number>;
}

const tiers = {
  minute: { table: "metric_rollups", column: "minute" },
  fiveMinutes: { table: "metric_rollups_5min", column: "minute" },
  hour: { table: "metric_rollups_hourly", column: "hour" },
} as const;

/** A tier's rows for a target, summed into periods of `periodMs` and keyed by their start. */
async function byPeriod(
  sql: Sql,
  target: string,
  tier: keyof typeof tiers,
  periodMs: number,
): Promise<Record<string, TierRow>> {
  const { table, column } = tiers[tier];
  const rows = await sql`
    select ${sql(column)} as at, count, errors, latency_sum, latency_min, latency_max, histogram
    from ${sql("optimizer." + table)} where target = ${target}`;
  const periods: Record<string, TierRow> = {};
  for (const row of rows) {
    const key = new Date(Math.floor(row.at.getTime() / periodMs) * periodMs).toISOString();
    const into = periods[key] ??= { count: 0, errors: 0, latencySum: 0, min: null, max: null, histogram: {} };
    into.count += Number(row.count);
    into.errors += Number(row.errors);
    into.latencySum += row.latency_sum;
    into.min = into.min === null ? row.latency_min : Math.min(into.min, row.latency_min);
    into.max = into.max === null ? row.latency_max : Math.max(into.max, row.latency_max);
    into.histogram = mergeHistograms(into.histogram, row.histogram);
  }
  return periods;
}

Deno.test("the 5-minute and hourly tiers equal the sum of their minutes, late events included", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("hourly");
    const now = Date.now();
    await ingest(
      sql,
      Array.from({ length: 300 }, (_, i) =>
        event(target, {
          latency_ms: 1 + (i * 37) % 500,
          error: i % 7 === 0,
          occurred_at: new Date(now - (i % 150) * MINUTE_MS).toISOString(),
        })),
    );
    await rollup(sql);
    const lateAt = new Date(now - 2 * DAY_MS);
    await ingest(sql, [event(target, { latency_ms: 2_500, occurred_at: lateAt.toISOString() })]);
    await rollup(sql);
    await rollup(sql);

    const hours = await byPeriod(sql, target, "hour", HOUR_MS);
    assert.deepEqual(hours, await byPeriod(sql, target, "minute", HOUR_MS));
    assert.deepEqual(
      await byPeriod(sql, target, "fiveMinutes", 5 * MINUTE_MS),
      await byPeriod(sql, target, "minute", 5 * MINUTE_MS),
    );
    const lateHour = new Date(Math.floor(lateAt.getTime() / HOUR_MS) * HOUR_MS).toISOString();
    assert.equal(hours[lateHour]?.count, 1);
    assert.equal(Object.values(hours).reduce((sum, h) => sum + h.count, 0), 301);
  });
});

Deno.test("series read the coarsest tier whose periods tile their buckets", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("tier-choice");
    const to = new Date(currentHour());
    const from = new Date(to.getTime() - 3 * HOUR_MS);
    await ingest(
      sql,
      Array.from({ length: 12 }, (_, i) =>
        event(target, {
          occurred_at: new Date(from.getTime() + i * 15 * MINUTE_MS).toISOString(),
        })),
    );
    await rollup(sql);
    const count = async (bucket: string, start = from) => {
      const [{ n }] = await sql`
        select coalesce(sum(count), 0)::int as n from optimizer.metric_series(
          ${start.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz, ${bucket}::interval,
          null, ${target}, null)`;
      return n;
    };
    // each tier is taken away in turn (as retention does when it is past its days), here for this target
    await sql`delete from optimizer.metric_rollups where target = ${target}`;
    assert.deepEqual([await count("1 minute"), await count("5 minutes"), await count("1 hour")], [0, 12, 12]);
    await sql`delete from optimizer.metric_rollups_5min where target = ${target}`;
    assert.deepEqual([await count("5 minutes"), await count("15 minutes"), await count("1 hour")], [
      0,
      0,
      12,
    ]);
    // a window that does not start on the hour cannot use hour rows, even with 1-hour buckets
    assert.equal(await count("1 hour", new Date(from.getTime() + 5 * MINUTE_MS)), 0);
  });
});

Deno.test("percentiles from the hourly tier equal the minutes' and are within 2 % of the exact values", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("hourly-quantiles");
    const to = new Date(currentHour());
    const from = new Date(to.getTime() - 2 * HOUR_MS);
    const latencies = Array.from({ length: 2400 }, (_, i) => Math.pow(10, ((i * 7919) % 2400) / 600) * 0.37);
    await ingest(
      sql,
      latencies.map((ms, i) =>
        event(target, {
          latency_ms: ms,
          occurred_at: new Date(from.getTime() + (i % 120) * MINUTE_MS).toISOString(),
        })
      ),
    );
    await rollup(sql);

    const fromHours = await seriesTotals(sql, target, from, to);
    // a window ending one minute past the hour is not made of whole hours: minute rows answer
    const fromMinutes = await seriesTotals(sql, target, from, new Date(to.getTime() + MINUTE_MS));
    assert.deepEqual(fromHours, fromMinutes);
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
      const estimate = quantile(fromHours.histogram, q)!;
      assert.ok(Math.abs(estimate - exact) / exact <= 0.02, `p${q * 100}: ${estimate} vs exact ${exact}`);
    }
  });
});

Deno.test("metric_series_rows, added up per bucket, gives the series metric_series sums in Postgres", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("series-rows");
    const to = new Date(currentHour());
    const from = new Date(to.getTime() - 2 * HOUR_MS);
    await ingest(
      sql,
      Array.from({ length: 480 }, (_, i) =>
        event(target, {
          latency_ms: 1 + (i * 37) % 400,
          error: i % 13 === 0,
          occurred_at: new Date(from.getTime() + (i % 120) * MINUTE_MS).toISOString(),
        })),
    );
    await rollup(sql);
    for (const bucket of ["1 minute", "5 minutes", "1 hour"]) {
      const window = {
        from,
        to,
        bucketSeconds: (await sql`select extract(epoch from ${bucket}::interval)::int as s`)[0].s,
      };
      const read = (fn: string) =>
        sql.unsafe(
          `select * from optimizer.${fn}($1::timestamptz, $2::timestamptz, $3::interval, null, $4, null)`,
          [from.toISOString(), to.toISOString(), bucket, target],
        ) as unknown as Promise<MetricSeriesRow[]>;
      const summed = seriesFromRollups(await read("metric_series"), window);
      const rows = await read("metric_series_rows");
      assert.ok(rows.length >= summed.buckets.filter((b) => b.count > 0).length, bucket);
      assert.deepEqual(seriesFromRollups(rows, window), summed, bucket);
    }
  });
});
