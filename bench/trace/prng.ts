/**
 * The project's one seeded pseudo-random source, for every generator, simulation and test that draws numbers,
 * so that a seed reproduces a trace, a data set or a sample bit for bit on any machine (Math.random cannot be
 * seeded). sfc32 is small, fast and passes PractRand far beyond the few million
 * draws a 14-day trace needs; splitmix32 spreads a user's seed (often 1, 2, 3) over the whole state.
 */

/** Returns a uniform float in [0, 1). */
export type Rng = () => number;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A generator seeded by `seed` (an integer; only its low 32 bits count). */
export function createRng(seed: number): Rng {
  const init = splitmix32(seed);
  let a = init(), b = init(), c = init(), d = init();
  const rng = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  // The first outputs of a freshly seeded sfc32 are correlated with the seed; discarding a few removes that.
  for (let i = 0; i < 12; i++) rng();
  return rng;
}

/**
 * An independent stream for one part of a generator (outages, sessions, news, ...). Giving each part its own
 * stream means that changing how one part draws numbers does not reshuffle the others.
 */
export function streamRng(seed: number, stream: string): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
  return createRng((seed ^ h) >>> 0);
}

/** Uniform integer in [0, n). */
export function uniformInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/**
 * The Box-Muller transform: a standard normal from two uniforms, `u` in (0, 1] (the logarithm's argument) and
 * `v` in [0, 1). For callers whose uniforms come from elsewhere than an Rng (hashed coordinates).
 */
export function normalFromUniforms(u: number, v: number): number {
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A standard normal draw (Box-Muller; 1 - rng() keeps the logarithm's argument in (0, 1]). */
export function normal(rng: Rng): number {
  return normalFromUniforms(1 - rng(), rng());
}

/** Exponentially distributed with the given mean (inter-arrival times of a Poisson process). */
export function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng());
}

/** Above this mean, Knuth's product method needs too many draws and loses precision; a normal fits well there. */
const poissonNormalFromMean = 60;

/** Poisson-distributed count with the given mean. */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > poissonNormalFromMean) {
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
  }
  const limit = Math.exp(-mean);
  let count = 0;
  let product = rng();
  while (product > limit) {
    count++;
    product *= rng();
  }
  return count;
}

/** Picks an index with probability proportional to `cumulative[i] - cumulative[i - 1]` (binary search). */
export function pickCumulative(rng: Rng, cumulative: ArrayLike<number>, n = cumulative.length): number {
  const target = rng() * cumulative[n - 1];
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Prefix sums of `weights`, for pickCumulative(). */
export function cumulativeOf(weights: ArrayLike<number>): Float64Array {
  const cumulative = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) cumulative[i] = sum += weights[i];
  return cumulative;
}

/**
 * Zipf ranks: rank k (0-based) is drawn with probability proportional to 1 / (k + 1)^exponent. The prefix sums
 * are shared by every n up to the largest asked for, so drawing over lists of changing length (a user's robots)
 * costs one table.
 */
export class Zipf {
  #cumulative = new Float64Array(0);
  #size = 0;
  constructor(readonly exponent: number) {}

  /** A rank in [0, n). */
  draw(rng: Rng, n: number): number {
    if (n > this.#size) this.#grow(n);
    return pickCumulative(rng, this.#cumulative, n);
  }

  #grow(n: number): void {
    const size = Math.max(n, this.#size * 2, 16);
    const next = new Float64Array(size);
    next.set(this.#cumulative.subarray(0, this.#size));
    let sum = this.#size > 0 ? next[this.#size - 1] : 0;
    for (let k = this.#size; k < size; k++) next[k] = sum += 1 / Math.pow(k + 1, this.exponent);
    this.#cumulative = next;
    this.#size = size;
  }
}
