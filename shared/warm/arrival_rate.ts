import { DAY_MS, MINUTE_MS } from "../time.ts";

/**
 * The expected request rate of one function, minute by minute, from its past per-minute counts: the same
 * minute of the previous days (the daily season), scaled by how the last minutes compare with the same
 * minutes of those days, blended with the last minutes' own rate. Cheap enough to rebuild for every decision
 * of a simulation over millions of requests; the stored Holt-Winters forecasts (shared/forecast/) are the
 * better model for charts and hour-ahead plans, but a warmer looks at most a few minutes ahead, where the
 * recent rate carries most of the signal.
 */

/** A function's requests per minute; minute m covers [m·60 000, (m+1)·60 000) ms. */
export interface MinuteCounts {
  /** Requests in `minute`; 0 for a minute without any. */
  count(minute: number): number;
  /** The first minute with data: earlier minutes are unknown, not quiet. */
  readonly firstMinute: number;
}

/** How the rate is estimated. */
export interface ArrivalRateOptions {
  /** Previous days whose same minute forms the seasonal estimate. */
  seasonDays: number;
  /** Recent whole minutes whose mean is the recent rate. */
  recentMinutes: number;
  /** Weight of the seasonal estimate against the recent rate, 0 to 1, once a day of history exists. */
  seasonalWeight: number;
  /** The seasonal level follows the recent minutes by at most this factor either way. */
  maxLevelRatio: number;
}

/** Defaults measured on the reference trace (bench/sim): a week of seasons, ten recent minutes, half and half. */
export const arrivalRateDefaults: ArrivalRateOptions = {
  seasonDays: 7,
  recentMinutes: 10,
  seasonalWeight: 0.5,
  maxLevelRatio: 3,
};

const minutesPerDay = DAY_MS / MINUTE_MS;
/** Added to both sides of the level ratio, so that a quiet spell does not divide by zero or swing it wildly. */
const levelSmoothing = 0.1;

/** Expected requests over time as of `nowMs`, from the counts of the whole minutes before it. */
export class ArrivalRates {
  readonly #counts: MinuteCounts;
  readonly #nowMinute: number;
  readonly #options: ArrivalRateOptions;
  readonly #recent: number;
  readonly #level: number;
  readonly #memo = new Map<number, number>();

  /** The rates as of `nowMs`, from the counts of the whole minutes before it. */
  constructor(counts: MinuteCounts, nowMs: number, options: ArrivalRateOptions = arrivalRateDefaults) {
    this.#counts = counts;
    this.#nowMinute = Math.floor(nowMs / MINUTE_MS);
    this.#options = options;
    let recent = 0;
    let seasonalRecent = 0;
    let seasonalMinutes = 0;
    for (let k = 1; k <= options.recentMinutes; k++) {
      recent += this.#known(this.#nowMinute - k);
      const seasonal = this.#seasonal(this.#nowMinute - k);
      if (seasonal !== null) {
        seasonalRecent += seasonal;
        seasonalMinutes++;
      }
    }
    this.#recent = recent / options.recentMinutes;
    const seasonalMean = seasonalMinutes > 0 ? seasonalRecent / seasonalMinutes : null;
    this.#level = seasonalMean === null ? 1 : Math.min(
      options.maxLevelRatio,
      Math.max(1 / options.maxLevelRatio, (this.#recent + levelSmoothing) / (seasonalMean + levelSmoothing)),
    );
  }

  /** A past minute's count; 0 before the first minute with data. */
  #known(minute: number): number {
    return minute >= this.#counts.firstMinute && minute < this.#nowMinute ? this.#counts.count(minute) : 0;
  }

  /** Mean count of the same minute on the previous days that are known; null when none is. */
  #seasonal(minute: number): number | null {
    let sum = 0;
    let days = 0;
    for (let day = 1; day <= this.#options.seasonDays; day++) {
      const past = minute - day * minutesPerDay;
      if (past < this.#counts.firstMinute || past >= this.#nowMinute) continue;
      sum += this.#counts.count(past);
      days++;
    }
    return days > 0 ? sum / days : null;
  }

  /** Expected requests in `minute`. */
  perMinute(minute: number): number {
    const memo = this.#memo.get(minute);
    if (memo !== undefined) return memo;
    const seasonal = this.#seasonal(minute);
    const weight = this.#options.seasonalWeight;
    const rate = seasonal === null
      ? this.#recent
      : weight * seasonal * this.#level + (1 - weight) * this.#recent;
    this.#memo.set(minute, rate);
    return rate;
  }

  /** Expected requests in (fromMs, toMs]; 0 for an empty interval. */
  expected(fromMs: number, toMs: number): number {
    let total = 0;
    for (let t = fromMs; t < toMs;) {
      const minute = Math.floor(t / MINUTE_MS);
      const end = Math.min(toMs, (minute + 1) * MINUTE_MS);
      total += this.perMinute(minute) * (end - t) / MINUTE_MS;
      t = end;
    }
    return total;
  }
}

/** Checks arrival-rate options, saying which one is wrong and what it must be. */
export function checkArrivalRateOptions(options: ArrivalRateOptions): ArrivalRateOptions {
  const { seasonDays, recentMinutes, seasonalWeight, maxLevelRatio } = options;
  if (!Number.isInteger(seasonDays) || seasonDays < 1) {
    throw new RangeError(`seasonDays must be an integer >= 1: got ${seasonDays}`);
  }
  if (!Number.isInteger(recentMinutes) || recentMinutes < 1) {
    throw new RangeError(`recentMinutes must be an integer >= 1: got ${recentMinutes}`);
  }
  if (!(seasonalWeight >= 0 && seasonalWeight <= 1)) {
    throw new RangeError(`seasonalWeight must be between 0 and 1: got ${seasonalWeight}`);
  }
  if (!(maxLevelRatio >= 1 && Number.isFinite(maxLevelRatio))) {
    throw new RangeError(`maxLevelRatio must be a finite number >= 1: got ${maxLevelRatio}`);
  }
  return options;
}

/** Per-minute counts grown request by request, as a policy in the simulation sees them. */
export class GrowingMinuteCounts implements MinuteCounts {
  readonly #counts: number[] = [];
  /** The first minute with a request; Infinity before the first. */
  firstMinute: number = Infinity;

  /** Counts a request at `atMs` (requests come in time order). */
  add(atMs: number): void {
    const minute = Math.floor(atMs / MINUTE_MS);
    if (this.firstMinute === Infinity) this.firstMinute = minute;
    while (this.firstMinute + this.#counts.length <= minute) this.#counts.push(0);
    this.#counts[minute - this.firstMinute]++;
  }

  /** Requests in `minute`. */
  count(minute: number): number {
    return this.#counts[minute - this.firstMinute] ?? 0;
  }
}
