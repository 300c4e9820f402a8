/**
 * Mean and standard deviation in one pass (Welford's update), numerically stable for long series of
 * latencies where the naive sum of squares loses precision.
 */

export interface Spread {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1); null below two values. */
  stdev: number | null;
  min: number | null;
  max: number | null;
}

export class RunningSpread {
  #n = 0;
  #mean = 0;
  #m2 = 0;
  #min = Infinity;
  #max = -Infinity;

  add(value: number): this {
    if (!Number.isFinite(value)) throw new RangeError(`spread values must be finite numbers: got ${value}`);
    this.#n++;
    const delta = value - this.#mean;
    this.#mean += delta / this.#n;
    this.#m2 += delta * (value - this.#mean);
    this.#min = Math.min(this.#min, value);
    this.#max = Math.max(this.#max, value);
    return this;
  }

  get spread(): Spread {
    const n = this.#n;
    return {
      n,
      mean: n > 0 ? this.#mean : null,
      stdev: n > 1 ? Math.sqrt(this.#m2 / (n - 1)) : null,
      min: n > 0 ? this.#min : null,
      max: n > 0 ? this.#max : null,
    };
  }
}

export function spreadOf(values: Iterable<number>): Spread {
  const running = new RunningSpread();
  for (const v of values) running.add(v);
  return running.spread;
}
