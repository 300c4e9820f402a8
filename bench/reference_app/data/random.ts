import { createRng, type Rng } from "../../trace/prng.ts";

/**
 * Seeded randomness for the reference data, on the project's one PRNG (bench/trace/prng.ts): a seed mixer
 * that gives every entity its own stream (so a robot's row can be rebuilt without generating the ones before
 * it), and the distributions the generator draws from.
 */

/** murmur3's finaliser: spreads every input bit over the whole word. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seed for the stream named by `parts` (whole numbers below 2^53), e.g. (seed, STREAM_ROBOT, index). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const low = part >>> 0;
    const high = Math.floor(part / 4294967296) >>> 0;
    h = fmix32(h ^ fmix32(low + 0x7f4a7c15));
    h = fmix32(h ^ fmix32(high + 0x1b873593));
  }
  return h;
}

/** A PRNG for the stream named by `parts`. */
export function streamOf(...parts: number[]): Rng {
  return createRng(mixSeed(...parts));
}

export function uniform(random: Rng, low: number, high: number): number {
  return low + (high - low) * random();
}

/** A whole number in [low, high]. */
export function integer(random: Rng, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

export function chance(random: Rng, probability: number): boolean {
  return random() < probability;
}

export function pick<T>(random: Rng, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** Pareto with minimum 1 and shape `alpha`: P(X > x) = x^-alpha, heavier tails for smaller alpha. */
export function pareto(random: Rng, alpha: number): number {
  return Math.pow(1 - random(), -1 / alpha);
}

/** Zipf weights 1/k^exponent for ranks 1..n, summing to 1. */
export function zipfWeights(n: number, exponent: number): Float64Array {
  const weights = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) total += weights[k] = 1 / Math.pow(k + 1, exponent);
  for (let k = 0; k < n; k++) weights[k] /= total;
  return weights;
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(random: Rng, n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A version-4 UUID from the stream. */
export function uuid(random: Rng): string {
  const hex: string[] = [];
  for (let i = 0; i < 4; i++) {
    hex.push((Math.floor(random() * 4294967296) >>> 0).toString(16).padStart(8, "0"));
  }
  const s = hex.join("");
  const variant = ((parseInt(s[16], 16) & 0x3) | 0x8).toString(16);
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${
    s.slice(20, 32)
  }`;
}

/**
 * Splits `total` into whole numbers proportional to `weights` (largest remainder, ties to the lower index),
 * each at most its cap. Throws when the caps cannot hold the total.
 */
export function apportion(total: number, weights: ArrayLike<number>, caps?: ArrayLike<number>): Float64Array {
  const n = weights.length;
  const shares = new Float64Array(n);
  const capped = new Uint8Array(n);
  const cap = (i: number) => (caps ? caps[i] : Infinity);
  let capacity = 0;
  for (let i = 0; i < n; i++) capacity += cap(i);
  if (total > capacity) throw new RangeError(`cannot split ${total} under caps that hold ${capacity}`);
  // Water-filling: share the rest among the uncapped in proportion, cap who overflows, repeat.
  for (let round = 0; round <= n; round++) {
    let assigned = 0;
    let freeWeight = 0;
    for (let i = 0; i < n; i++) {
      if (capped[i]) assigned += shares[i];
      else freeWeight += weights[i];
    }
    const rest = total - assigned;
    let overflow = false;
    for (let i = 0; i < n; i++) {
      if (capped[i]) continue;
      shares[i] = freeWeight > 0 ? (rest * weights[i]) / freeWeight : 0;
      if (shares[i] > cap(i)) {
        shares[i] = cap(i);
        capped[i] = 1;
        overflow = true;
      }
    }
    if (!overflow) break;
  }
  const counts = new Float64Array(n);
  let given = 0;
  for (let i = 0; i < n; i++) given += counts[i] = Math.floor(shares[i]);
  const byRemainder = Array.from({ length: n }, (_, i) => i)
    .filter((i) => counts[i] < cap(i))
    .sort((a, b) => (shares[b] - counts[b]) - (shares[a] - counts[a]) || a - b);
  for (let r = 0; given < total; r = (r + 1) % byRemainder.length) {
    const i = byRemainder[r];
    if (counts[i] < cap(i)) {
      counts[i]++;
      given++;
    }
  }
  return counts;
}
