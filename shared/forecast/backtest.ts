/**
 * Rolling-origin evaluation with re-estimation (Tashman, 2000): at each origin, fit on the history before it,
 * forecast `steps` ahead, and compare with what followed; so a model is scored as it will be used.
 *
 * The score is the mean absolute scaled error against a reference forecaster evaluated on the same origins
 * and steps: MASE = MAE(model) / MAE(reference). Hyndman and Koehler (2006) scale by the reference's in-sample
 * one-step error; scaling by its out-of-sample error at the same horizons answers the question a planner
 * asks ("is this better than yesterday's same minute, at the lead times we use?") and makes MASE < 1 mean
 * "beats the reference" exactly.
 */
import type { ModelSpec } from "./model.ts";

/** Where a backtest forecasts from, and how far. */
export interface BacktestPlan {
  /** Ascending; values before origins[0] are the training history. */
  origins: number[];
  steps: number;
}

/** A fitted model's errors over a plan. */
export interface BacktestResult {
  /** errors[j][k]: actual minus forecast at origins[j] + k. */
  errors: number[][];
  /** forecasts[j][k]: the forecast at origins[j] + k (floored at 0). */
  forecasts: number[][];
  mae: number;
  /** Mean squared error: what the choice minimizes, since the forecasts are means (see forecast.ts). */
  mse: number;
}

/**
 * Pure: `count` origins, the last one `steps` before the end and each `spacing` before the next; none before
 * `minTraining`. Null when no origin fits.
 */
export function planBacktest(
  length: number,
  options: { steps: number; count: number; spacing: number; minTraining: number },
): BacktestPlan | null {
  const origins: number[] = [];
  for (let j = 0; j < options.count; j++) {
    const origin = length - options.steps - j * options.spacing;
    if (origin < Math.max(1, options.minTraining)) break;
    origins.unshift(origin);
  }
  return origins.length === 0 ? null : { origins, steps: options.steps };
}

/** Pure: the model's forecast errors at every origin of the plan, fitted afresh at each. */
export function backtest(values: readonly number[], model: ModelSpec, plan: BacktestPlan): BacktestResult {
  let sum = 0;
  let squares = 0;
  let n = 0;
  const forecasts = plan.origins.map((origin) =>
    model.fit(values.slice(0, origin), plan.steps).forecast(plan.steps).map((f) => Math.max(0, f))
  );
  const errors = forecasts.map((forecast, j) =>
    forecast.map((f, k) => {
      const error = values[plan.origins[j] + k] - f;
      sum += Math.abs(error);
      squares += error * error;
      n++;
      return error;
    })
  );
  return { errors, forecasts, mae: n === 0 ? 0 : sum / n, mse: n === 0 ? 0 : squares / n };
}
