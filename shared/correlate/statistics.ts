import { errorFunction, sampleRankCorrelation } from "simple-statistics";

/**
 * The statistics the analyzers state as their confidence, each with its method named here:
 * - a rate (hits / lookups, errors / requests) carries its Wilson score interval at 95 %, which stays inside
 *   [0, 1] and is honest for small counts and rates near 0 or 1, unlike the normal approximation;
 * - a change of a rate between two windows carries the two-sided p-value of the pooled two-proportion z-test;
 *   a measured gain that is such a change carries the unpooled variance of the difference, p(1 − p) / n of
 *   each rate added up (the two rates need not be equal, as the test assumes);
 * - Spearman's rank correlation (simple-statistics' sampleRankCorrelation: Pearson on midranks, so ties are
 *   handled) carries its two-sided p-value from the Fisher transform with the Fieller, Hartley and Pearson
 *   (1957) variance 1.06 / (n - 3): z = atanh(rho) * sqrt((n - 3) / 1.06), compared with the standard normal.
 *   It needs n >= 4; analyzers ask for more (minPoints) because the approximation is rough below 10 points.
 */

/** z of the two-sided 95 % normal interval. */
const z95 = 1.959963984540054;

/**
 * P(|Z| >= |z|) for a standard normal Z. simple-statistics' errorFunction is a series approximation, within
 * about 1e-7: the result is clamped to [0, 1].
 */
export function twoSidedNormalP(z: number): number {
  return Math.min(1, Math.max(0, 1 - errorFunction(Math.abs(z) / Math.SQRT2)));
}

/** A rate with its Wilson score interval at 95 %. */
export interface RateInterval {
  /** successes / trials. */
  rate: number;
  /** Lower end of the 95 % interval. */
  low: number;
  /** Upper end of the 95 % interval. */
  high: number;
  /** Trials the rate rests on. */
  n: number;
}

/** The Wilson score interval at 95 % of `successes` out of `trials`; null without trials. */
export function wilsonInterval(successes: number, trials: number): RateInterval | null {
  if (!(trials > 0)) return null;
  if (!(successes >= 0 && successes <= trials)) {
    throw new RangeError(`successes must be between 0 and trials (${trials}): got ${successes}`);
  }
  const p = successes / trials;
  const z2 = z95 * z95;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z95 / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), n: trials };
}

/** A change of a rate between two samples, with its two-proportion z-test. */
export interface RateChange {
  /** Rate of the earlier sample. */
  before: number;
  /** Rate of the later sample. */
  after: number;
  /** The pooled z statistic (after minus before). */
  z: number;
  /** Two-sided p-value of "the rates are equal". */
  pValue: number;
}

/**
 * The pooled two-proportion z-test of `before` (x1 of n1) against `after` (x2 of n2); null when either sample
 * is empty. Equal rates at 0 or 1 have no variance: z 0, p 1.
 */
export function rateChange(x1: number, n1: number, x2: number, n2: number): RateChange | null {
  if (!(n1 > 0 && n2 > 0)) return null;
  const before = x1 / n1;
  const after = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const z = se > 0 ? (after - before) / se : 0;
  return { before, after, z, pValue: twoSidedNormalP(z) };
}

/**
 * The variance of `after − before`, two rates (each a binomial proportion) of `nBefore` and `nAfter` trials,
 * unpooled: the sum of each rate's p(1 − p) / n.
 */
export function rateDifferenceVariance(
  before: number,
  nBefore: number,
  after: number,
  nAfter: number,
): number {
  return (before * (1 - before)) / nBefore + (after * (1 - after)) / nAfter;
}

/** Spearman's rank correlation of paired samples, with its p-value (see the top of this file). */
export interface RankCorrelation {
  /** Spearman's rho, -1 to 1. */
  rho: number;
  /** Pairs it rests on. */
  n: number;
  /** Two-sided p-value of "no monotonic relation" (Fisher transform). */
  pValue: number;
}

/**
 * Spearman's rho of `x` and `y` (same length) with its p-value; null below 4 pairs or when either side is
 * constant (its ranks have no variance, so rho is undefined).
 */
export function spearman(x: readonly number[], y: readonly number[]): RankCorrelation | null {
  if (x.length !== y.length) {
    throw new RangeError(`spearman() needs paired samples: got ${x.length} and ${y.length} values`);
  }
  const n = x.length;
  if (n < 4) return null;
  const rho = sampleRankCorrelation([...x], [...y]);
  if (!Number.isFinite(rho)) return null;
  // atanh(±1) is infinite: a perfect rank agreement has p 0 in the limit.
  const clamped = Math.max(-0.999999, Math.min(0.999999, rho));
  const z = Math.atanh(clamped) * Math.sqrt((n - 3) / 1.06);
  return { rho, n, pValue: twoSidedNormalP(z) };
}

/** The median of a non-empty list (the mean of the middle two for an even count); RangeError for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `0.123` as `12.3 %`. */
export function percent(rate: number, digits = 1): string {
  return `${(rate * 100).toFixed(digits)} %`;
}

/** A p-value as text: `p < 0.001` or `p = 0.034`. */
export function formatP(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`;
}

/** A rate with its interval as text: `12.3 % (95 % interval 10.1–14.8 %, n = 900)`. */
export function formatRate(interval: RateInterval): string {
  return `${percent(interval.rate)} (95 % interval ${(interval.low * 100).toFixed(1)}–${
    percent(interval.high)
  }, n = ${interval.n})`;
}

/** A correlation as text: `rho = 0.82, n = 60, p < 0.001`. */
export function formatCorrelation(c: RankCorrelation): string {
  return `rho = ${c.rho.toFixed(2)}, n = ${c.n}, ${formatP(c.pValue)}`;
}
