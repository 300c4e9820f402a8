/**
 * A mergeable latency sketch: log-spaced buckets with 1 % relative accuracy (the DDSketch layout).
 * Bucket i holds the latencies in (gamma^(i-1), gamma^i] ms, so any quantile read from it is within 1 % of the
 * true value of the same rank. Histograms are plain JSON objects (bucket index -> count) because that is how
 * optimizer.metric_rollups stores them; merging is adding counts, so per-minute rollups combine into any window.
 *
 * bucketIndex must equal the SQL function optimizer.latency_bucket(ms) for every input: both compute
 * ceil(ln(max(ms, 0.001)) / ln(gamma)) with gamma = (1 + 0.01) / (1 - 0.01) in double precision.
 */

/**
 * Bucket index (as a decimal string) -> number of latencies in that bucket. Bucket i holds the latencies in
 * (gamma^(i-1), gamma^i] ms, gamma = 1.01 / 0.99: any quantile read from it is within 1 % of the true value.
 */
export type Histogram = Record<string, number>;

export const relativeAccuracy = 0.01;
const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
const lnGamma = Math.log(gamma);
/** Latencies below 1 µs share one bucket: nothing we time is that fast, and ln(0) has no bucket. */
const minLatencyMs = 0.001;

/** The bucket a latency in milliseconds falls into. Throws RangeError for NaN or infinite input. */
export function bucketIndex(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`latency must be a finite number of ms: got ${ms}`);
  return Math.ceil(Math.log(Math.max(ms, minLatencyMs)) / lnGamma);
}

/** The value a bucket stands for: within relativeAccuracy of every latency in it. */
export function bucketValue(index: number): number {
  return (2 * Math.pow(gamma, index)) / (gamma + 1);
}

/** Adds one latency to `histogram` in place and returns it. */
export function addToHistogram(histogram: Histogram, ms: number, count = 1): Histogram {
  const key = String(bucketIndex(ms));
  histogram[key] = (histogram[key] ?? 0) + count;
  return histogram;
}

export function histogramFrom(values: Iterable<number>): Histogram {
  const histogram: Histogram = {};
  for (const ms of values) addToHistogram(histogram, ms);
  return histogram;
}

/** A new histogram holding the counts of all inputs (null and undefined inputs are skipped). */
export function mergeHistograms(...histograms: (Histogram | null | undefined)[]): Histogram {
  const merged: Histogram = {};
  for (const histogram of histograms) {
    if (!histogram) continue;
    for (const [key, count] of Object.entries(histogram)) merged[key] = (merged[key] ?? 0) + Number(count);
  }
  return merged;
}

export function histogramCount(histogram: Histogram): number {
  let total = 0;
  for (const count of Object.values(histogram)) total += Number(count);
  return total;
}

/**
 * The nearest-rank quantile: the value of rank ceil(q * n) (1-based, at least 1) in sorted order, read as its
 * bucket's representative value. null for an empty histogram. Throws RangeError unless 0 <= q <= 1.
 */
export function quantile(histogram: Histogram, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be between 0 and 1: got ${q}`);
  const buckets = Object.entries(histogram)
    .map(([key, count]) => [Number(key), Number(count)] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [index, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucketValue(index);
  }
  return bucketValue(buckets[buckets.length - 1][0]);
}
