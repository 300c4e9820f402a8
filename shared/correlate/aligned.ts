import type { Series, SeriesBucket } from "../metrics/series.ts";

/**
 * Aligned per-bucket series: two series of the same window and buckets paired bucket by bucket, keeping only
 * the buckets where both have a value, so that a rank correlation compares the same minutes.
 */

/** A value read from one bucket, or null when the bucket has none (e.g. no latencies that minute). */
export type BucketValue = (bucket: SeriesBucket) => number | null;

/** Paired values of the buckets where both series have one. */
export interface AlignedPairs {
  /** Values of the first series. */
  x: number[];
  /** Values of the second series, same order. */
  y: number[];
  /** Start of each paired bucket (ISO). */
  starts: string[];
}

/** Throws unless `a` and `b` cover the same buckets. */
export function checkAligned(a: Series, b: Series): void {
  if (a.from !== b.from || a.bucketSeconds !== b.bucketSeconds || a.buckets.length !== b.buckets.length) {
    throw new RangeError(
      `series must share their window and buckets: got ${a.from}/${a.bucketSeconds}s×${a.buckets.length} and ` +
        `${b.from}/${b.bucketSeconds}s×${b.buckets.length}`,
    );
  }
}

/** The buckets where `pickA` of `a` and `pickB` of `b` are both non-null, paired. */
export function alignedPairs(a: Series, pickA: BucketValue, b: Series, pickB: BucketValue): AlignedPairs {
  checkAligned(a, b);
  const pairs: AlignedPairs = { x: [], y: [], starts: [] };
  a.buckets.forEach((bucket, i) => {
    const x = pickA(bucket);
    const y = pickB(b.buckets[i]);
    if (x === null || y === null) return;
    pairs.x.push(x);
    pairs.y.push(y);
    pairs.starts.push(bucket.start);
  });
  return pairs;
}

/** The bucket's p95 when it rests on at least `minSamples` latencies (count stands in for them), else null. */
export function p95With(minSamples: number): BucketValue {
  return (bucket) => (bucket.p95 !== null && bucket.count >= minSamples ? bucket.p95 : null);
}
