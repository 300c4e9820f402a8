import type { ExpectedArrivals } from "./next_ping.ts";

/** How IdleGaps counts. */
export interface IdleGapsOptions {
  /** Gaps longer than this count as this long. */
  rangeMs: number;
  /**
   * The resolution the gaps were measured at: 1 s for gaps between exact instants, a minute for gaps between
   * the minutes the rollups count requests in. A request is then known to the minute, not to the instant, so
   * a gap of 5 minutes from a request at 12:00:40 means the next one came between 12:05:00 and 12:06:00.
   */
  resolutionMs: number;
}

/** Defaults: gaps up to 4 hours, between exact instants. */
export const idleGapsDefaults: IdleGapsOptions = { rangeMs: 4 * 3_600_000, resolutionMs: 1_000 };

/** The tree's bins: 1 second. */
const binMs = 1_000;

/**
 * The distribution of one function's gaps between requests, as the hazard of the next request: given that
 * `elapsed` ms have passed since the last request, how likely is the next one within the coming window? It
 * catches what a rate cannot: a timer that fires every 5 minutes has a low rate but a certain next request, and
 * a session's requests a think-time apart are followed, once the session ends, by a long silence.
 * Gaps are counted in 1-second bins up to `rangeMs` (longer ones in the last bin), in a Fenwick tree, so adding
 * a gap and reading the survival function both take O(log bins).
 */
export class IdleGaps {
  readonly #tree: Float64Array;
  readonly #resolutionMs: number;
  #count = 0;

  /** An empty distribution; `options` override idleGapsDefaults. */
  constructor(options: Partial<IdleGapsOptions> = {}) {
    const { rangeMs, resolutionMs } = { ...idleGapsDefaults, ...options };
    if (!(resolutionMs >= binMs) || resolutionMs % binMs !== 0) {
      throw new RangeError(`resolutionMs must be a whole number of seconds: got ${resolutionMs}`);
    }
    this.#tree = new Float64Array(Math.ceil(rangeMs / binMs) + 2);
    this.#resolutionMs = resolutionMs;
  }

  /** How many gaps were added. */
  get count(): number {
    return this.#count;
  }

  /** Records one gap between consecutive requests, at the resolution the gaps are measured at. */
  add(gapMs: number): void {
    for (let i = this.#bin(gapMs) + 1; i < this.#tree.length; i += i & -i) this.#tree[i]++;
    this.#count++;
  }

  #bin(ms: number): number {
    return Math.min(this.#tree.length - 2, Math.max(0, Math.floor(ms / binMs)));
  }

  /** Gaps in bins 0..bin. */
  #atMost(bin: number): number {
    let sum = 0;
    for (let i = bin + 1; i > 0; i -= i & -i) sum += this.#tree[i];
    return sum;
  }

  /** The share of recorded gaps at least `ms` long, floored at half a gap. */
  #atLeast(ms: number): number {
    const bin = this.#bin(ms);
    const below = bin === 0 ? 0 : this.#atMost(bin - 1);
    return Math.max(this.#count - below, 0.5) / this.#count;
  }

  /**
   * The chance that the next request comes at least `ms` after the start of the resolution step of the last
   * one (floored at half a gap, so that an outcome never seen stays possible). A gap measured at a coarse
   * resolution puts the request anywhere in its step, so the share is interpolated across it.
   */
  survival(ms: number): number {
    const step = Math.floor(ms / this.#resolutionMs);
    const within = ms / this.#resolutionMs - step;
    const from = this.#atLeast(step * this.#resolutionMs);
    return within === 0
      ? from
      : (1 - within) * from + within * this.#atLeast((step + 1) * this.#resolutionMs);
  }

  /**
   * Expected arrivals in (fromMs, toMs] after a request at `lastRequestMs`, as the cumulative hazard of the gap
   * distribution: the chance of a request in the window is then 1 − e^(−expected), as for a rate.
   */
  after(lastRequestMs: number): ExpectedArrivals {
    const stepStart = Math.floor(lastRequestMs / this.#resolutionMs) * this.#resolutionMs;
    return {
      expected: (fromMs, toMs) =>
        toMs <= fromMs ? 0 : Math.max(
          0,
          Math.log(this.survival(fromMs - stepStart)) - Math.log(this.survival(toMs - stepStart)),
        ),
    };
  }
}
