import assert from "node:assert/strict";
import { histogramFrom } from "../../shared/metrics/latency_histogram.ts";
import {
  type MetricSeriesRow,
  seriesFromRollups,
  SeriesQuerySchema,
  type SeriesWindow,
} from "../../shared/metrics/series.ts";
import { fieldIssues } from "../../shared/http/validation.ts";

const window: SeriesWindow = {
  from: new Date("2025-06-01T12:00:00Z"),
  to: new Date("2025-06-01T12:05:00Z"),
  bucketSeconds: 60,
};

function row(start: string, fields: Partial<MetricSeriesRow> = {}): MetricSeriesRow {
  return {
    bucket_start: new Date(start),
    count: "0",
    errors: "0",
    cold_starts: "0",
    hits: "0",
    misses: "0",
    latency_count: "0",
    latency_sum: null,
    latency_min: null,
    latency_max: null,
    histogram: {},
    ...fields,
  };
}

Deno.test("seriesFromRollups() fills empty buckets between from and to with zero counts and null rates", () => {
  const series = seriesFromRollups([row("2025-06-01T12:02:00Z", { count: "4", errors: "1" })], window);
  assert.deepEqual(series.buckets.map((b) => [b.start.slice(11, 16), b.count]), [
    ["12:00", 0],
    ["12:01", 0],
    ["12:02", 4],
    ["12:03", 0],
    ["12:04", 0],
  ]);
  const empty = series.buckets[0];
  assert.deepEqual([empty.errorRate, empty.hitRate, empty.coldStartRate, empty.p50, empty.mean], [
    null,
    null,
    null,
    null,
    null,
  ]);
  assert.equal(series.buckets[2].errorRate, 0.25);
});

Deno.test("seriesFromRollups() computes hit rate over hits and misses only", () => {
  const series = seriesFromRollups(
    [
      row("2025-06-01T12:00:00Z", { count: "10", hits: "3", misses: "1" }),
      row("2025-06-01T12:01:00Z", { count: "5" }),
    ],
    window,
  );
  assert.equal(series.buckets[0].hitRate, 0.75);
  assert.equal(series.buckets[1].hitRate, null);
  assert.equal(series.summary.hitRate, 0.75);
});

Deno.test("seriesFromRollups() reads p50/p95/p99 from the merged histogram and min/max/mean from the sums", () => {
  const latencies = Array.from({ length: 100 }, (_, i) => i + 1);
  const series = seriesFromRollups([
    row("2025-06-01T12:01:00Z", {
      count: 100,
      cold_starts: 20,
      latency_count: 100,
      latency_sum: 5050,
      latency_min: 1,
      latency_max: 100,
      histogram: histogramFrom(latencies),
    }),
  ], window);
  const bucket = series.buckets[1];
  assert.equal(bucket.coldStartRate, 0.2);
  assert.equal(bucket.mean, 50.5);
  assert.deepEqual([bucket.min, bucket.max], [1, 100]);
  for (const [value, exact] of [[bucket.p50, 50], [bucket.p95, 95], [bucket.p99, 99]] as const) {
    assert.ok(value !== null && Math.abs(value - exact) / exact <= 0.01, `${value} vs ${exact}`);
  }
});

Deno.test("seriesFromRollups() keeps quantiles within the exact min and max", () => {
  const series = seriesFromRollups([
    row("2025-06-01T12:00:00Z", {
      count: 1,
      latency_count: 1,
      latency_sum: 10,
      latency_min: 10,
      latency_max: 10,
      histogram: histogramFrom([10]),
    }),
  ], window);
  assert.deepEqual([series.buckets[0].p50, series.buckets[0].p99], [10, 10]);
});

Deno.test("seriesFromRollups() merges rows of the same bucket and sums the window into summary", () => {
  const series = seriesFromRollups([
    row("2025-06-01T12:00:00Z", {
      count: "2",
      latency_count: "2",
      latency_sum: 30,
      latency_min: 10,
      latency_max: 20,
      histogram: histogramFrom([10, 20]),
    }),
    row("2025-06-01T12:00:30Z", {
      count: "1",
      latency_count: "1",
      latency_sum: 5,
      latency_min: 5,
      latency_max: 5,
      histogram: JSON.stringify(histogramFrom([5])),
    }),
    row("2025-06-01T12:04:00Z", { count: "1", errors: "1" }),
    row("2025-06-01T12:05:00Z", { count: "99" }),
  ], window);
  assert.equal(series.buckets[0].count, 3);
  assert.equal(series.buckets[0].min, 5);
  assert.equal(series.summary.count, 4);
  assert.equal(series.summary.errorRate, 0.25);
  assert.equal(series.summary.mean, 35 / 3);
});

Deno.test("seriesFromRollups() rejects a bucket that is not a whole number of minutes", () => {
  assert.throws(
    () => seriesFromRollups([], { ...window, bucketSeconds: 0 }),
    /bucketSeconds must be a multiple of 60 and >= 60: got 0/,
  );
});

Deno.test("SeriesQuerySchema turns from, to and bucket into a window aligned on whole buckets", () => {
  const parsed = SeriesQuerySchema.parse({
    from: "2025-06-01T12:07:30Z",
    to: "2025-06-01T13:01:00+00:00",
    bucket: "5m",
    system: "edge",
  });
  assert.deepEqual(parsed, {
    from: new Date("2025-06-01T12:05:00Z"),
    to: new Date("2025-06-01T13:05:00Z"),
    bucketSeconds: 300,
    system: "edge",
    target: undefined,
    kind: undefined,
  });
  assert.equal(
    SeriesQuerySchema.parse({ from: "2025-06-01T12:00:00Z", to: "2025-06-01T13:00:00Z" }).bucketSeconds,
    60,
  );
});

Deno.test("SeriesQuerySchema answers with clear messages for bad buckets, windows and filters", () => {
  const issues = (input: Record<string, string>) => {
    const result = SeriesQuerySchema.safeParse(input);
    assert.equal(result.success, false);
    return fieldIssues(result.error!);
  };
  const base = { from: "2025-06-01T00:00:00Z", to: "2025-06-02T00:00:00Z" };
  assert.match(issues({ ...base, bucket: "30s" })[0].message, /whole number of minutes, hours or days/);
  assert.deepEqual(issues({ ...base, to: base.from }), [{ path: "to", message: "must be later than from" }]);
  const tooMany = issues({ from: "2025-01-01T00:00:00Z", to: "2025-03-01T00:00:00Z", bucket: "1m" });
  assert.equal(tooMany[0].path, "bucket");
  assert.match(
    tooMany[0].message,
    /84960 buckets of 1m: at most 10000; choose a larger bucket or a shorter window/,
  );
  assert.deepEqual(issues({ ...base, system: "queue", extra: "1" }).map((i) => i.path), ["system", "(root)"]);
  assert.deepEqual(issues({ to: base.to }).map((i) => i.path), ["from"]);
});

Deno.test("SeriesQuerySchema refuses a NUL in a filter and dates Postgres cannot take", () => {
  const base = { from: "2025-06-01T00:00:00Z", to: "2025-06-02T00:00:00Z" };
  const pathsOf = (input: Record<string, string>) => {
    const result = SeriesQuerySchema.safeParse(input);
    assert.equal(result.success, false);
    return fieldIssues(result.error!).map((issue) => issue.path);
  };
  assert.deepEqual(pathsOf({ ...base, target: "a\u0000b" }), ["target"]);
  assert.deepEqual(pathsOf({ ...base, from: "2025-06-01T00:00:00+16:00" }), ["from"]);
  assert.deepEqual(pathsOf({ from: "0001-01-01T00:00:00Z", to: "0001-02-01T00:00:00Z", bucket: "366d" }), [
    "from",
  ]);
});
