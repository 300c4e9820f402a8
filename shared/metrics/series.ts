import { z } from "zod";
import { type Histogram, mergeHistograms, quantile } from "./latency_histogram.ts";
import { type MetricSystem, metricSystems } from "./metric_event.ts";
import { storableDateTime, storableText } from "../db/pg_input.ts";
import { DAY_SECONDS, HOUR_SECONDS, MINUTE_SECONDS } from "../time.ts";

/**
 * Time series for `GET /functions/v1/metrics`: the query it takes and the buckets it answers with, added up
 * here from rows of optimizer.metric_series_rows (rollup rows with their bucket's start: hour rows for
 * whole-hour buckets, 5-minute rows for multiples of 5 minutes, minute rows otherwise) or of
 * optimizer.metric_series (the same already summed per bucket).
 */

export const maxSeriesBuckets = 10_000;
const maxBucketSeconds = 366 * DAY_SECONDS;
const minStorableMs = Date.parse("0001-01-01T00:00:00Z");
const maxStorableMs = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * A row of optimizer.metric_series_rows or optimizer.metric_series as postgres.js returns it (bigint columns
 * arrive as strings); several rows may share a bucket.
 */
export interface MetricSeriesRow {
  /** Start of the bucket the row belongs to. */
  bucket_start: Date | string;
  /** Events in the bucket. */
  count: number | string | bigint;
  /** Events that failed. */
  errors: number | string | bigint;
  /** Events that were cold starts. */
  cold_starts: number | string | bigint;
  /** Cache lookups that hit. */
  hits: number | string | bigint;
  /** Cache lookups that missed. */
  misses: number | string | bigint;
  /** Events with a latency; the latency figures below are over these. */
  latency_count: number | string | bigint;
  /** Sum of the latencies in ms; null without latencies. */
  latency_sum: number | string | null;
  /** Smallest latency in ms; null without latencies. */
  latency_min: number | string | null;
  /** Largest latency in ms; null without latencies. */
  latency_max: number | string | null;
  /** The latencies' log-bucket histogram (latency_histogram.ts), as jsonb or its text. */
  histogram: Histogram | string | null;
}

/** A resolved query: from and to are whole multiples of the bucket since the Unix epoch. */
export interface SeriesWindow {
  /** Start of the first bucket (inclusive). */
  from: Date;
  /** End of the last bucket (exclusive). */
  to: Date;
  /** Length of a bucket: a whole number of minutes, in seconds. */
  bucketSeconds: number;
  /** Only events of this system; absent: every system. */
  system?: MetricSystem;
  /** Only events of this target; absent: every target. */
  target?: string;
  /** Only events of this kind; absent: every kind. */
  kind?: string;
}

/** The figures of one bucket, or of the whole window. */
export interface SeriesStats {
  /** Events. */
  count: number;
  /** Events that failed. */
  errors: number;
  /** Events that were cold starts. */
  coldStarts: number;
  /** Cache lookups that hit. */
  hits: number;
  /** Cache lookups that missed. */
  misses: number;
  /** errors / count; null without events. */
  errorRate: number | null;
  /** hits / (hits + misses); null without cache events. */
  hitRate: number | null;
  /** coldStarts / count; null without events. */
  coldStartRate: number | null;
  /**
   * Median latency in ms. Latency figures are null without latencies; quantiles are within 1 % (log-bucket
   * histogram), min, max and mean are exact.
   */
  p50: number | null;
  /** 95th percentile latency in ms, within 1 %. */
  p95: number | null;
  /** 99th percentile latency in ms, within 1 %. */
  p99: number | null;
  /** Smallest latency in ms. */
  min: number | null;
  /** Largest latency in ms. */
  max: number | null;
  /** Mean latency in ms. */
  mean: number | null;
}

/** One bucket of a Series. */
export interface SeriesBucket extends SeriesStats {
  /** The bucket's start, an ISO date-time; it lasts the series' bucketSeconds. */
  start: string;
}

/** The `GET /functions/v1/metrics` answer: the window's buckets and a summary of them all. */
export interface Series {
  /** Start of the window (inclusive), rounded down to a whole bucket: an ISO date-time. */
  from: string;
  /** End of the window (exclusive), rounded up to a whole bucket: an ISO date-time. */
  to: string;
  /** Length of each bucket in seconds. */
  bucketSeconds: number;
  /** The filters applied; null: not filtered on. */
  filters: { system: MetricSystem | null; target: string | null; kind: string | null };
  /** Every bucket of the window in order, empty ones included (zero counts, null rates). */
  buckets: SeriesBucket[];
  /** The whole window as one bucket. */
  summary: SeriesStats;
}

function parseBucket(text: string): number | null {
  const match = /^([1-9][0-9]{0,6})(m|h|d)$/.exec(text);
  if (!match) return null;
  return Number(match[1]) *
    { m: MINUTE_SECONDS, h: HOUR_SECONDS, d: DAY_SECONDS }[match[2] as "m" | "h" | "d"];
}

const isoDateTime = storableDateTime("2025-01-31T12:00:00Z");

/**
 * Query string of GET: from and to (ISO date-times, from < to; from is rounded down and to up to whole
 * buckets), bucket (minutes, hours or days: "1m", "5m", "1h", "1d"; default "1m"), optional system, target and
 * kind filters. Parses to a SeriesWindow.
 */
export const SeriesQuerySchema: z.ZodType<SeriesWindow> = z.strictObject({
  from: isoDateTime,
  to: isoDateTime,
  bucket: z.string()
    .refine((text) => {
      const seconds = parseBucket(text);
      return seconds !== null && seconds <= maxBucketSeconds;
    }, { error: 'must be a whole number of minutes, hours or days up to 366d, e.g. "1m", "5m", "1h", "1d"' })
    .default("1m"),
  system: z.enum(metricSystems, { error: `must be one of ${metricSystems.join(", ")}` }).optional(),
  target: z.string().min(1).max(200).check(storableText).optional(),
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, {
    error: "must be a metric kind such as request or query",
  })
    .optional(),
}).transform((query, ctx): SeriesWindow => {
  const bucketSeconds = parseBucket(query.bucket)!;
  const bucketMs = bucketSeconds * 1000;
  const from = Math.floor(Date.parse(query.from) / bucketMs) * bucketMs;
  const to = Math.ceil(Date.parse(query.to) / bucketMs) * bucketMs;
  if (Date.parse(query.from) >= Date.parse(query.to)) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "must be later than from" });
    return z.NEVER;
  }
  // Rounding to whole buckets can leave the years Postgres' timestamptz and toISOString() share.
  if (from < minStorableMs || to > maxStorableMs) {
    ctx.addIssue({
      code: "custom",
      path: [from < minStorableMs ? "from" : "to"],
      message:
        `rounded to whole buckets of ${query.bucket}, the window must stay within the years 0001 to 9999`,
    });
    return z.NEVER;
  }
  const buckets = (to - from) / bucketMs;
  if (buckets > maxSeriesBuckets) {
    ctx.addIssue({
      code: "custom",
      path: ["bucket"],
      message: `the window holds ${buckets} buckets of ${query.bucket}: at most ${maxSeriesBuckets}; ` +
        "choose a larger bucket or a shorter window",
    });
    return z.NEVER;
  }
  return {
    from: new Date(from),
    to: new Date(to),
    bucketSeconds,
    system: query.system,
    target: query.target,
    kind: query.kind,
  };
});

const count = (value: number | string | bigint | null | undefined) => (value == null ? 0 : Number(value));
const measure = (value: number | string | null | undefined) => (value == null ? null : Number(value));

interface Accumulator {
  count: number;
  errors: number;
  coldStarts: number;
  hits: number;
  misses: number;
  latencyCount: number;
  latencySum: number;
  min: number | null;
  max: number | null;
  histogram: Histogram;
}

const emptyAccumulator = (): Accumulator => ({
  count: 0,
  errors: 0,
  coldStarts: 0,
  hits: 0,
  misses: 0,
  latencyCount: 0,
  latencySum: 0,
  min: null,
  max: null,
  histogram: {},
});

function addRow(into: Accumulator, row: MetricSeriesRow): void {
  into.count += count(row.count);
  into.errors += count(row.errors);
  into.coldStarts += count(row.cold_starts);
  into.hits += count(row.hits);
  into.misses += count(row.misses);
  into.latencyCount += count(row.latency_count);
  into.latencySum += measure(row.latency_sum) ?? 0;
  const min = measure(row.latency_min);
  const max = measure(row.latency_max);
  if (min !== null) into.min = into.min === null ? min : Math.min(into.min, min);
  if (max !== null) into.max = into.max === null ? max : Math.max(into.max, max);
  const histogram: Histogram | null = typeof row.histogram === "string"
    ? JSON.parse(row.histogram)
    : row.histogram;
  // Added in place: a bucket takes one row per target, kind and source, and copying it per row would cost more
  // than the adding.
  for (const key in histogram) into.histogram[key] = (into.histogram[key] ?? 0) + Number(histogram[key]);
}

function mergeAccumulators(all: Accumulator[]): Accumulator {
  const total = emptyAccumulator();
  for (const a of all) {
    total.count += a.count;
    total.errors += a.errors;
    total.coldStarts += a.coldStarts;
    total.hits += a.hits;
    total.misses += a.misses;
    total.latencyCount += a.latencyCount;
    total.latencySum += a.latencySum;
    if (a.min !== null) total.min = total.min === null ? a.min : Math.min(total.min, a.min);
    if (a.max !== null) total.max = total.max === null ? a.max : Math.max(total.max, a.max);
  }
  total.histogram = mergeHistograms(...all.map((a) => a.histogram));
  return total;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

function stats(a: Accumulator): SeriesStats {
  // A bucket's representative value can lie just outside the observed extremes; the extremes are exact.
  const clamp = (value: number | null) =>
    value === null || a.min === null || a.max === null ? value : Math.min(a.max, Math.max(a.min, value));
  const hasLatency = a.latencyCount > 0;
  return {
    count: a.count,
    errors: a.errors,
    coldStarts: a.coldStarts,
    hits: a.hits,
    misses: a.misses,
    errorRate: ratio(a.errors, a.count),
    hitRate: ratio(a.hits, a.hits + a.misses),
    coldStartRate: ratio(a.coldStarts, a.count),
    p50: hasLatency ? clamp(quantile(a.histogram, 0.5)) : null,
    p95: hasLatency ? clamp(quantile(a.histogram, 0.95)) : null,
    p99: hasLatency ? clamp(quantile(a.histogram, 0.99)) : null,
    min: hasLatency ? a.min : null,
    max: hasLatency ? a.max : null,
    mean: hasLatency ? a.latencySum / a.latencyCount : null,
  };
}

/**
 * One bucket per bucketSeconds from window.from (inclusive) to window.to (exclusive), empty ones with zero
 * counts and null rates. A row is placed in the bucket containing its bucket_start; rows outside the window
 * are ignored.
 */
export function seriesFromRollups(rows: readonly MetricSeriesRow[], window: SeriesWindow): Series {
  const bucketMs = window.bucketSeconds * 1000;
  const from = window.from.getTime();
  const total = Math.ceil((window.to.getTime() - from) / bucketMs);
  if (
    !(Number.isInteger(window.bucketSeconds) && window.bucketSeconds >= 60 && window.bucketSeconds % 60 === 0)
  ) {
    throw new RangeError(`bucketSeconds must be a multiple of 60 and >= 60: got ${window.bucketSeconds}`);
  }
  if (!(total >= 0 && total <= maxSeriesBuckets)) {
    throw new RangeError(`the window must hold 0 to ${maxSeriesBuckets} buckets: got ${total}`);
  }
  const accumulators = Array.from({ length: total }, emptyAccumulator);
  for (const row of rows) {
    const index = Math.floor((new Date(row.bucket_start).getTime() - from) / bucketMs);
    if (index >= 0 && index < total) addRow(accumulators[index], row);
  }
  return {
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    bucketSeconds: window.bucketSeconds,
    filters: { system: window.system ?? null, target: window.target ?? null, kind: window.kind ?? null },
    buckets: accumulators.map((a, i) => ({
      start: new Date(from + i * bucketMs).toISOString(),
      ...stats(a),
    })),
    summary: stats(mergeAccumulators(accumulators)),
  };
}
