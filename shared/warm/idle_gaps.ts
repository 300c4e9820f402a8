import type { ExpectedArrivals } from "./next_ping.ts";

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
  #count = 0;

  /** Gaps longer than `rangeMs` count as `rangeMs`. */
  constructor(readonly rangeMs = 4 * 3_600_000) {
    this.#tree = new Float64Array(Math.ceil(rangeMs / 1000) + 2);
  }

  /** How many gaps were added. */
  get count(): number {
    return this.#count;
  }

  /** Records one gap between consecutive requests. */
  add(gapMs: number): void {
    for (let i = this.#bin(gapMs) + 1; i < this.#tree.length; i += i & -i) this.#tree[i]++;
    this.#count++;
  }

  #bin(ms: number): number {
    return Math.min(this.#tree.length - 2, Math.max(0, Math.floor(ms / 1000)));
  }

  /** Gaps in bins 0..bin. */
  #atMost(bin: number): number {
    let sum = 0;
    for (let i = bin + 1; i > 0; i -= i & -i) sum += this.#tree[i];
    return sum;
  }

  /**
   * The share of gaps at least `ms` long (floored at half a gap, so that an outcome never seen stays possible).
   */
  survival(ms: number): number {
    const bin = this.#bin(ms);
    const below = bin === 0 ? 0 : this.#atMost(bin - 1);
    return Math.max(this.#count - below, 0.5) / this.#count;
  }

  /**
   * Expected arrivals in (fromMs, toMs] after a request at `lastRequestMs`, as the cumulative hazard of the gap
   * distribution: the chance of a request in the window is then 1 − e^(−expected), as for a rate.
   */
  after(lastRequestMs: number): ExpectedArrivals {
    return {
      expected: (fromMs, toMs) =>
        toMs <= fromMs ? 0 : Math.max(
          0,
          Math.log(this.survival(fromMs - lastRequestMs)) - Math.log(this.survival(toMs - lastRequestMs)),
        ),
    };
  }
}
