import type { TimeSeriesView, WarmingPolicy } from "./policy.ts";
import { coveringPing } from "./covering_ping.ts";
import { formatDuration } from "./format_duration.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../time.ts";

/** Pings sent in the 24 hours before now. */
function pingsInLastDay(pings: TimeSeriesView, nowMs: number): number {
  let low = 0;
  let high = pings.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (pings.at(mid) <= nowMs - DAY_MS) low = mid + 1;
    else high = mid;
  }
  return pings.length - low;
}

/** The histogram policy's parameters (defaults: the paper's). */
export interface HistogramOptions {
  /** Width of a bin of the idle-time histogram (the paper: 1 minute). */
  binMs: number;
  /** Idle times up to this are binned; longer ones are out of bounds (the paper: 4 hours). */
  rangeMs: number;
  /** Pre-warm window: this percentile of idle times (the paper: 5th). */
  headPercentile: number;
  /** End of the keep-alive window: this percentile (the paper: 99th). */
  tailPercentile: number;
  /** The head is lowered and the tail raised by this fraction (the paper: 10 %). */
  margin: number;
  /** Below this many idle times the histogram is not representative. */
  minSamples: number;
  /**
   * The histogram is representative only if the coefficient of variation of its bin counts is at least this:
   * idle times concentrated in a few bins (a pattern) give a high CV, idle times spread evenly a low one.
   */
  minBinCountCv: number;
  /** Above this fraction of out-of-bounds idle times the histogram is not representative either. */
  maxOutOfBoundsFraction: number;
  /** Keep-alive after each request when the histogram is not representative (the paper: the histogram range). */
  fallbackKeepAliveMs: number;
  /** At most this many pings per function in any 24 hours (the cost of fixed(1 min)). */
  maxPingsPerDay: number;
}

/** The paper's parameters, and a daily ping cap equal to the cost of fixed(1 min). */
export const histogramDefaults: HistogramOptions = {
  binMs: MINUTE_MS,
  rangeMs: 4 * HOUR_MS,
  headPercentile: 5,
  tailPercentile: 99,
  margin: 0.1,
  minSamples: 10,
  minBinCountCv: 2,
  maxOutOfBoundsFraction: 0.5,
  fallbackKeepAliveMs: 4 * HOUR_MS,
  maxPingsPerDay: 1440,
};

export interface HistogramWindows {
  representative: boolean;
  /** After a request, the worker is not needed for this long. */
  prewarmMs: number;
  /** Then it should be warm for this long. */
  keepAliveMs: number;
}

/** Idle-time histogram of one function, fed incrementally. */
export class IdleTimeHistogram {
  readonly #options: HistogramOptions;
  readonly #bins: Float64Array;
  #inBounds = 0;
  #outOfBounds = 0;

  constructor(options: HistogramOptions) {
    this.#options = options;
    this.#bins = new Float64Array(Math.ceil(options.rangeMs / options.binMs));
  }

  add(idleMs: number): void {
    const bin = Math.floor(idleMs / this.#options.binMs);
    if (bin < this.#bins.length) {
      this.#bins[bin]++;
      this.#inBounds++;
    } else this.#outOfBounds++;
  }

  get samples(): number {
    return this.#inBounds + this.#outOfBounds;
  }

  binCountCv(): number {
    const n = this.#bins.length;
    const mean = this.#inBounds / n;
    if (mean === 0) return 0;
    let squares = 0;
    for (const count of this.#bins) squares += (count - mean) ** 2;
    return Math.sqrt(squares / n) / mean;
  }

  /** Index of the bin holding the given percentile of the in-bounds idle times. */
  #percentileBin(percentile: number): number {
    const target = (percentile / 100) * this.#inBounds;
    let cumulative = 0;
    for (let bin = 0; bin < this.#bins.length; bin++) {
      cumulative += this.#bins[bin];
      if (cumulative >= target && cumulative > 0) return bin;
    }
    return this.#bins.length - 1;
  }

  windows(): HistogramWindows {
    const o = this.#options;
    const representative = this.samples >= o.minSamples && this.#inBounds > 0 &&
      this.#outOfBounds / this.samples <= o.maxOutOfBoundsFraction && this.binCountCv() >= o.minBinCountCv;
    if (!representative) return { representative, prewarmMs: 0, keepAliveMs: o.fallbackKeepAliveMs };
    const head = this.#percentileBin(o.headPercentile) * o.binMs * (1 - o.margin);
    const tail = (this.#percentileBin(o.tailPercentile) + 1) * o.binMs * (1 + o.margin);
    return { representative, prewarmMs: head, keepAliveMs: tail - head };
  }
}

/**
 * The hybrid histogram policy of Shahrad et al., "Serverless in the Wild" (USENIX ATC 2020), on a platform that
 * keeps workers only through pings: after each request, the worker should be warm from `prewarm` (the head of
 * the idle-time histogram) for `keepAlive` (to its tail). A not-representative histogram falls back to a fixed
 * keep-alive from the request. Pings follow coveringPing(). The paper's ARIMA branch for functions whose idle
 * times mostly exceed the range is not modelled: those fall back too.
 */
export function histogramPolicy(options: Partial<HistogramOptions> = {}): WarmingPolicy {
  const o = { ...histogramDefaults, ...options };
  for (const [name, value] of Object.entries(o)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`histogramPolicy: ${name} must be a finite number >= 0: got ${value}`);
    }
  }
  if (o.binMs <= 0 || o.rangeMs < o.binMs) {
    throw new Error(`histogramPolicy: need 0 < binMs <= rangeMs: got binMs ${o.binMs}, rangeMs ${o.rangeMs}`);
  }
  if (o.headPercentile > o.tailPercentile || o.tailPercentile > 100) {
    throw new Error(
      `histogramPolicy: need headPercentile <= tailPercentile <= 100: got ${o.headPercentile}, ${o.tailPercentile}`,
    );
  }
  if (o.margin >= 1) throw new Error(`histogramPolicy: margin must be < 1: got ${o.margin}`);
  return {
    name: "histogram",
    description:
      `Shahrad et al. hybrid histogram: ${formatDuration(o.binMs)} bins over ${formatDuration(o.rangeMs)}, ` +
      `pre-warm p${o.headPercentile} -${o.margin * 100}%, keep-alive to p${o.tailPercentile} +${
        o.margin * 100
      }%, ` +
      `fallback keep-alive ${
        formatDuration(o.fallbackKeepAliveMs)
      } below ${o.minSamples} samples or bin-count ` +
      `CV < ${o.minBinCountCv}, at most ${o.maxPingsPerDay} pings/day`,
    forFunction: () => {
      const histogram = new IdleTimeHistogram(o);
      let learned = 0;
      let windows: HistogramWindows = histogram.windows();
      return (context) => {
        const { history } = context;
        if (history.length === 0) return null;
        if (learned < history.length) {
          for (let i = Math.max(1, learned); i < history.length; i++) {
            histogram.add(history.at(i) - history.at(i - 1));
          }
          learned = history.length;
          windows = histogram.windows();
        }
        if (pingsInLastDay(context.pings, context.nowMs) >= o.maxPingsPerDay) return null;
        const start = history.at(history.length - 1) + windows.prewarmMs;
        return coveringPing(context, start, Math.min(context.endMs, start + windows.keepAliveMs));
      };
    },
  };
}
