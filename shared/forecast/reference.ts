import type { CountSeries } from "./series.ts";
import { DAY_MS } from "../time.ts";

/**
 * The reference a stored forecast is scored against, computed when the forecast is made: seasonal naive (the
 * same minute a day earlier) when the history holds a day, the last value otherwise. Stored beside each point,
 * it makes the later score a plain ratio of errors over the same minutes: MASE.
 */
export interface ReferenceForecast {
  /** Which forecaster. */
  model: "seasonal-naive-daily" | "last-value";
  /** Its value for each of the `steps` steps after the history. */
  values: number[];
}

/** Pure: the reference forecast of the `steps` steps after the series. */
export function referenceForecast(series: CountSeries, steps: number): ReferenceForecast {
  const { values, stepMs } = series;
  const day = DAY_MS % stepMs === 0 ? DAY_MS / stepMs : null;
  if (day !== null && values.length >= day) {
    const n = values.length;
    return {
      model: "seasonal-naive-daily",
      values: Array.from({ length: steps }, (_, k) => values[n - day + (k % day)]),
    };
  }
  return { model: "last-value", values: new Array(steps).fill(values.at(-1) ?? 0) };
}
