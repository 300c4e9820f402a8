/**
 * Exact percentiles by the nearest-rank method: the p-th percentile of n samples is the smallest sample such
 * that at least p % of the samples are <= it, i.e. the value at 1-based rank ceil(p / 100 * n) of the sorted
 * samples (rank 1 for p = 0). It is always an observed value (no interpolation), so a p99 over 100 requests is
 * the 99th slowest request's own latency. Unlike the 1 %-accurate sketch in shared/metrics/latency_histogram.ts, the
 * benchmark keeps every sample and can afford exactness.
 */

function checkP(p: number): void {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100]: got ${p}`);
}

/** Ascending copy, with NaN rejected (a NaN latency is a bug upstream, not a sample). */
export function sortedSamples(values: Iterable<number>): Float64Array {
  const sorted = Float64Array.from(values);
  for (const v of sorted) if (Number.isNaN(v)) throw new RangeError("samples must be numbers: got NaN");
  return sorted.sort();
}

/** The 0-based index of the p-th percentile among n ascending samples (n >= 1). */
export function nearestRankIndex(n: number, p: number): number {
  checkP(p);
  return Math.max(1, Math.ceil((p / 100) * n)) - 1;
}

/** Nearest-rank percentile of ascending samples; null when there are none. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number | null {
  checkP(p);
  return sorted.length === 0 ? null : sorted[nearestRankIndex(sorted.length, p)];
}

/** Nearest-rank percentile of unsorted samples; null when there are none. */
export function percentile(values: Iterable<number>, p: number): number | null {
  return percentileOfSorted(sortedSamples(values), p);
}

/** Several percentiles with one sort: p -> value. */
export function percentiles(values: Iterable<number>, ps: readonly number[]): Map<number, number | null> {
  const sorted = sortedSamples(values);
  return new Map(ps.map((p) => [p, percentileOfSorted(sorted, p)]));
}

/** Conventional median (mean of the two middle values for an even count); null when there are none. */
export function median(values: Iterable<number>): number | null {
  const sorted = sortedSamples(values);
  const n = sorted.length;
  if (n === 0) return null;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
