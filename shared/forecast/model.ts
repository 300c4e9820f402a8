/**
 * What every forecasting method offers the backtest and the forecast: a fit on a history, then point
 * forecasts from the end of that history.
 */

/** The forecasting models, from the simplest to the most structured. */
export type ModelName =
  | "last-value"
  | "seasonal-naive-daily"
  | "seasonal-naive-weekly"
  | "ses"
  | "holt-winters-daily"
  | "holt-winters-weekly";

/** A method fitted on a history. */
export interface FittedModel {
  name: ModelName;
  /** The fitted parameters (smoothing weights, period), for the record. */
  params: Record<string, number>;
  /** Point forecasts of the `steps` values after the history it was fitted on. */
  forecast(steps: number): number[];
}

/** A method before fitting: its name, the history it needs, and its fit. */
export interface ModelSpec {
  name: ModelName;
  /** The fewest values it can be fitted on. */
  minPoints: number;
  /** Fits on the history, for forecasts up to `horizon` steps ahead. */
  fit(history: readonly number[], horizon: number): FittedModel;
}

/** Forecasts the last value seen; 0 before any. */
export const lastValue: ModelSpec = {
  name: "last-value",
  minPoints: 1,
  fit: (history) => ({
    name: "last-value",
    params: {},
    forecast: (steps) => new Array(steps).fill(history.at(-1) ?? 0),
  }),
};

/** Forecasts the value one period earlier (the same minute yesterday, or last week). */
export function seasonalNaive(
  name: "seasonal-naive-daily" | "seasonal-naive-weekly",
  period: number,
): ModelSpec {
  return {
    name,
    minPoints: period,
    fit: (history) => ({
      name,
      params: { period },
      forecast: (steps) =>
        Array.from({ length: steps }, (_, k) => history[history.length - period + (k % period)] ?? 0),
    }),
  };
}
