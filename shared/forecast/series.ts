/**
 * The regular series forecasts are made on: one value per step (a minute, from the per-minute rollups),
 * absent buckets filled with 0. Every target the suite forecasts is a count over its bucket (requests,
 * statement calls, cache reads), and a rollup writes no row for a minute in which nothing happened, so an
 * absent minute is a minute with no events, not a missing observation.
 */

/** Counts in equal steps: values[i] is the total over [startMs + i * stepMs, startMs + (i + 1) * stepMs). */
export interface CountSeries {
  /** Start of the first step (epoch ms). */
  startMs: number;
  /** Length of a step in ms. */
  stepMs: number;
  /** The count of each step. */
  values: number[];
}

/** One bucket of a rollup: its start and its count. */
export interface CountPoint {
  /** Start of the bucket (epoch ms). */
  atMs: number;
  /** The count over the bucket. */
  value: number;
}

/**
 * Pure: the regular series over [fromMs, toMs) in steps of stepMs. Points are summed into the bucket their
 * `atMs` falls in; points outside the range are ignored; buckets no point falls in are 0.
 */
export function regularSeries(
  points: readonly CountPoint[],
  range: { fromMs: number; toMs: number; stepMs: number },
): CountSeries {
  const { fromMs, toMs, stepMs } = range;
  if (!(Number.isInteger(stepMs) && stepMs >= 1)) {
    throw new RangeError(`stepMs must be a whole number of ms >= 1: got ${stepMs}`);
  }
  if (!(Number.isFinite(fromMs) && Number.isFinite(toMs) && toMs >= fromMs)) {
    throw new RangeError(`the range must have toMs >= fromMs: got ${fromMs} to ${toMs}`);
  }
  const values = new Array<number>(Math.ceil((toMs - fromMs) / stepMs)).fill(0);
  for (const point of points) {
    if (!Number.isFinite(point.value) || point.value < 0) {
      throw new RangeError(`a series value must be a count >= 0: got ${point.value} at ${point.atMs}`);
    }
    if (point.atMs < fromMs || point.atMs >= toMs) continue;
    values[Math.floor((point.atMs - fromMs) / stepMs)] += point.value;
  }
  return { startMs: fromMs, stepMs, values };
}

/**
 * Pure: the series from its first non-zero step on (empty when every step is 0). The minutes before a
 * target's first event are not known zeros: the function did not exist yet, or nothing was collecting.
 */
export function fromFirstEvent(series: CountSeries): CountSeries {
  const first = series.values.findIndex((v) => v > 0);
  const start = first < 0 ? series.values.length : first;
  return { ...series, startMs: series.startMs + start * series.stepMs, values: series.values.slice(start) };
}
