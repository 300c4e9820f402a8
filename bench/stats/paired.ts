/**
 * Ratios from paired runs. Scenarios A and B are run repeatedly on the same trace; run k of A and run k of B
 * share a repeat index (and, when runs are interleaved, the same period of machine noise), so their ratio
 * B/A cancels what the pair has in common. The harness reports the median ratio and its spread over the pairs:
 * "B/A p95 = 0.62 (0.58–0.66 over 3 pairs)". A pair whose A value is 0 or missing has no ratio (null), never
 * Infinity or NaN.
 */
import { streamRng, uniformInt } from "../trace/prng.ts";
import { median, percentileOfSorted, sortedSamples } from "./percentile.ts";
import { spreadOf } from "./spread.ts";

export interface RunValue {
  /** Repeat index: values with the same index in A and B form a pair. */
  repeat: number;
  value: number | null;
}

export interface RatioPair {
  repeat: number;
  a: number | null;
  b: number | null;
  /** b / a; null when a is 0 or a value is missing or not finite. */
  ratio: number | null;
}

export interface PairedRatio {
  /** Pairs in repeat order. */
  pairs: RatioPair[];
  /** Pairs with a ratio. */
  n: number;
  median: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  stdev: number | null;
  /** Percentile-bootstrap interval of the median ratio; null below bootstrapMinPairs pairs. */
  interval: [number, number] | null;
  /** Repeat indexes present in only one of the two runs: they are not paired. */
  unpaired: number[];
}

export interface PairedRatioOptions {
  bootstrapResamples: number;
  confidence: number;
  seed: number;
}

export const pairedRatioDefaults: PairedRatioOptions = {
  bootstrapResamples: 2000,
  confidence: 0.95,
  seed: 1,
};
/** With fewer pairs a bootstrap only re-states the observed values; min–max says the same more plainly. */
export const bootstrapMinPairs = 3;

/** numerator / denominator, or null when the denominator is 0 or either side is missing or not finite. */
export function safeRatio(numerator: number | null, denominator: number | null): number | null {
  if (numerator === null || denominator === null) return null;
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return null;
  return numerator / denominator;
}

function byRepeat(name: string, runs: readonly RunValue[]): Map<number, number | null> {
  const map = new Map<number, number | null>();
  for (const run of runs) {
    if (map.has(run.repeat)) {
      throw new Error(`${name} has two runs with repeat index ${run.repeat}: give each run its own`);
    }
    map.set(run.repeat, run.value);
  }
  return map;
}

/** Percentile-bootstrap interval of the median of `values` (seeded, so a report is reproducible). */
export function bootstrapMedianInterval(
  values: readonly number[],
  options: Partial<PairedRatioOptions> = {},
): [number, number] | null {
  const o = { ...pairedRatioDefaults, ...options };
  if (!(o.confidence > 0 && o.confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1): got ${o.confidence}`);
  }
  if (!Number.isInteger(o.bootstrapResamples) || o.bootstrapResamples < 1) {
    throw new RangeError(`bootstrapResamples must be an integer >= 1: got ${o.bootstrapResamples}`);
  }
  if (values.length === 0) return null;
  const rng = streamRng(o.seed, "bootstrap");
  const medians: number[] = [];
  const resample = new Array<number>(values.length);
  for (let i = 0; i < o.bootstrapResamples; i++) {
    for (let j = 0; j < values.length; j++) resample[j] = values[uniformInt(rng, values.length)];
    medians.push(median(resample)!);
  }
  const sorted = sortedSamples(medians);
  const tail = ((1 - o.confidence) / 2) * 100;
  return [percentileOfSorted(sorted, tail)!, percentileOfSorted(sorted, 100 - tail)!];
}

/** B/A per repeat index, with median, min–max, mean and stdev over the pairs that have a ratio. */
export function pairedRatio(
  a: readonly RunValue[],
  b: readonly RunValue[],
  options: Partial<PairedRatioOptions> = {},
): PairedRatio {
  const aByRepeat = byRepeat("A", a);
  const bByRepeat = byRepeat("B", b);
  const pairs: RatioPair[] = [];
  const unpaired: number[] = [];
  for (const repeat of new Set([...aByRepeat.keys(), ...bByRepeat.keys()])) {
    if (!aByRepeat.has(repeat) || !bByRepeat.has(repeat)) {
      unpaired.push(repeat);
      continue;
    }
    const av = aByRepeat.get(repeat)!, bv = bByRepeat.get(repeat)!;
    pairs.push({ repeat, a: av, b: bv, ratio: safeRatio(bv, av) });
  }
  pairs.sort((x, y) => x.repeat - y.repeat);
  unpaired.sort((x, y) => x - y);
  const ratios = pairs.flatMap((p) => p.ratio === null ? [] : [p.ratio]);
  const spread = spreadOf(ratios);
  return {
    pairs,
    n: ratios.length,
    median: median(ratios),
    min: spread.min,
    max: spread.max,
    mean: spread.mean,
    stdev: spread.stdev,
    interval: ratios.length >= bootstrapMinPairs ? bootstrapMedianInterval(ratios, options) : null,
    unpaired,
  };
}

/** "0.62 (0.58–0.66 over 3 pairs)"; "n/a (no pair with a non-zero baseline)" when there is no ratio. */
export function formatRatio(ratio: PairedRatio, digits = 2): string {
  if (ratio.median === null) return "n/a (no pair with a non-zero baseline)";
  const f = (v: number) => v.toFixed(digits);
  const over = `over ${ratio.n} pair${ratio.n === 1 ? "" : "s"}`;
  return ratio.n === 1
    ? `${f(ratio.median)} (${over})`
    : `${f(ratio.median)} (${f(ratio.min!)}–${f(ratio.max!)} ${over})`;
}
