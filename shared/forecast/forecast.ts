/**
 * A forecast of one series, with the model chosen per series by a rolling-origin backtest:
 *
 * 1. periods: a day (and a week) in steps of the series;
 * 2. plan: origins near the end, leaving as much training history before them as the longest model that
 *    one origin leaves room for needs; models needing more are set aside with the reason;
 * 3. score: each model refitted at every origin, its backtest errors (MAE, MSE) and its MASE against the
 *    reference (seasonal naive over a day once a day precedes the first origin, last-value naive before that);
 * 4. choose: by mean squared error, which a mean forecast minimizes (MAE rewards medians, and the median of a
 *    quiet minute's count is 0): the most structured model (the specs run from last-value to weekly
 *    Holt-Winters) within structuredModelTolerance of the lowest; every other model records why it lost;
 * 5. forecast: the chosen model refitted on the whole history, `horizonMinutes` ahead;
 * 6. intervals: from the chosen model's backtest errors, scaled by the square root of the forecast level and
 *    taken per quarter of the backtest's lead times (see intervalWidths).
 *
 * Every series here is a count, so forecasts and interval bounds are floored at 0.
 */
import { resolveOptions } from "../analyze/options.ts";
import { DAY_MS, MINUTE_MS } from "../time.ts";
import { backtest, type BacktestResult, planBacktest } from "./backtest.ts";
import { holtWinters, simpleExponentialSmoothing } from "./exponential_smoothing.ts";
import { type FittedModel, lastValue, type ModelName, type ModelSpec, seasonalNaive } from "./model.ts";
import type { CountSeries } from "./series.ts";

/** How far to forecast and how to choose and bound the forecast. */
export interface ForecastOptions {
  /** How far ahead to forecast. */
  horizonMinutes: number;
  /** Origins of the backtest. */
  backtestOrigins: number;
  /** Share of outcomes the interval should hold (0.8: the 80 % interval). */
  intervalLevel: number;
}

/** The options' defaults: two hours ahead, six backtest origins, 80 % intervals. */
export const forecastDefaults: ForecastOptions = {
  horizonMinutes: 120,
  backtestOrigins: 6,
  intervalLevel: 0.8,
};

const bounds = {
  horizonMinutes: { min: 1, max: 7 * 24 * 60 },
  backtestOrigins: { min: 1, max: 100, integer: true },
  intervalLevel: { min: 0.5, max: 0.99 },
};

/** The backtest's lead time is at most this share of the history, so that a short history can be scored. */
const maxBacktestShare = 1 / 4;
/**
 * How much higher a more structured model's backtest MSE may be than the lowest and still be chosen (0.25: 25 %
 * higher). Right after the first day of history the backtest covers only the hours just past, often a flat
 * night, which cannot show what a daily model knows about the morning's ramp; a flat forecaster wins such a
 * backtest narrowly and then misses the ramp. On the reference trace's second day this took the chosen
 * models' MASE from 0.78 to 0.77 (docs/forecasting.md).
 */
const structuredModelTolerance = 0.25;
/** The shortest lead time (in steps) a backtest shortens to so that a longer-period model can be scored. */
const minBacktestSteps = 30;

/** One step of a forecast. */
export interface ForecastPoint {
  /** Start of the step's bucket (epoch ms). */
  atMs: number;
  /** The expected count over the step. */
  value: number;
  /** Lower bound of the interval; null without a backtest to size it from. */
  low: number | null;
  /** Upper bound of the interval; null without a backtest to size it from. */
  high: number | null;
}

/** One model the choice considered: its scores, or why it could not be scored. */
export interface ModelVerdict {
  /** The model. */
  model: ModelName;
  /** Whether the forecast uses it. */
  chosen: boolean;
  /** Backtest MAE; null when it was not scored. */
  mae: number | null;
  /** Backtest mean squared error, which the choice compares; null when it was not scored. */
  mse: number | null;
  /** MAE over the reference's MAE; null when not scored or the reference made no error. */
  mase: number | null;
  /** Why it was chosen, lost, or not scored. */
  reason: string;
}

/** A series' forecast, the model behind it and how that model was chosen. */
export interface Forecast {
  /** The model chosen. */
  model: ModelName;
  /** Its fitted parameters (smoothing weights, period). */
  params: Record<string, number>;
  /** The step of the series and of the points. */
  stepMs: number;
  /** One point per step from the end of the series, `horizonMinutes` ahead. */
  points: ForecastPoint[];
  /** Share of outcomes the intervals are sized to hold. */
  intervalLevel: number;
  /** How the model was chosen; null when the history was too short for any backtest. */
  backtest: {
    /** Origins scored. */
    origins: number;
    /** Steps forecast from each origin. */
    steps: number;
    /** The forecaster MASE is scaled by. */
    reference: ModelName;
    /** The reference's MAE over the same origins and steps. */
    referenceMae: number;
    /** The chosen model's MASE against the reference. */
    mase: number | null;
  } | null;
  /** Every model considered, chosen or not, with the reason. */
  verdicts: ModelVerdict[];
}

/** Pure: forecasts the series from its end, `horizonMinutes` ahead. */
export function forecastSeries(series: CountSeries, input: Partial<ForecastOptions> = {}): Forecast {
  const options = resolveOptions(forecastDefaults, bounds, input);
  const { values, stepMs } = series;
  const n = values.length;
  const horizon = Math.max(1, Math.round((options.horizonMinutes * MINUTE_MS) / stepMs));

  // periods: a day and a week in steps, when the step divides a day
  const day = DAY_MS % stepMs === 0 ? DAY_MS / stepMs : null;
  const specs: ModelSpec[] = [lastValue, simpleExponentialSmoothing];
  if (day !== null) {
    specs.push(
      seasonalNaive("seasonal-naive-daily", day),
      seasonalNaive("seasonal-naive-weekly", 7 * day),
      holtWinters("holt-winters-daily", day, 1),
      // a week's seasonal indices from one week are single counts; two weeks average them
      holtWinters("holt-winters-weekly", 7 * day, 2),
    );
  }

  // plan: as much training before the first origin as the longest model that one origin of at least
  // minBacktestSteps leaves room for needs, with as many origins as then fit; so a daily model is scored
  // from a day and half an hour of history on, over shorter lead times until the horizon fits
  const maxSteps = Math.min(horizon, Math.max(1, Math.floor(n * maxBacktestShare)));
  const fits = specs.filter((spec) => spec.minPoints + Math.min(maxSteps, minBacktestSteps) <= n);
  const minTraining = Math.max(1, ...fits.map((spec) => spec.minPoints));
  const steps = Math.max(1, Math.min(maxSteps, n - minTraining));
  const spacing = Math.max(1, Math.ceil(steps / 2));
  const plan = planBacktest(n, { steps, count: options.backtestOrigins, spacing, minTraining });
  if (plan === null) return unscored(series, horizon, options, specs);

  // score: backtest each model that fits before the first origin, scale by the reference
  const training = plan.origins[0];
  const scored = specs.filter((spec) => spec.minPoints <= training).map((spec) => ({
    spec,
    result: backtest(values, spec, plan),
  }));
  const reference = scored.find((s) => s.spec.name === "seasonal-naive-daily") ??
    scored.find((s) => s.spec.name === "last-value")!;
  const mase = (r: BacktestResult) => (reference.result.mae > 0 ? r.mae / reference.result.mae : null);

  // choose: the most structured model whose MSE is within structuredModelTolerance of the lowest
  const lowest = Math.min(...scored.map((s) => s.result.mse));
  const best = scored[chooseModel(scored.map((s) => s.result.mse))];
  const verdicts: ModelVerdict[] = specs.map((spec) => {
    const s = scored.find((x) => x.spec === spec);
    if (s === undefined) {
      return {
        model: spec.name,
        chosen: false,
        mae: null,
        mse: null,
        mase: null,
        reason: `needs ${spec.minPoints} points before the first backtest origin, ${training} there`,
      };
    }
    const f = (v: number) => v.toFixed(3);
    const tolerance = `${structuredModelTolerance * 100} %`;
    return {
      model: spec.name,
      chosen: s === best,
      mae: s.result.mae,
      mse: s.result.mse,
      mase: mase(s.result),
      reason: s === best
        ? `backtest MSE ${f(s.result.mse)}: the most structured model within ${tolerance} of the lowest (${
          f(lowest)
        })`
        : s.result.mse > lowest * (1 + structuredModelTolerance)
        ? `backtest MSE ${f(s.result.mse)} more than ${tolerance} above the lowest (${f(lowest)})`
        : `backtest MSE ${
          f(s.result.mse)
        } within ${tolerance} of the lowest, but ${best.spec.name} is more structured`,
    };
  });

  // forecast: refit on everything, then size the intervals from the backtest errors
  const fitted = best.spec.fit(values, horizon);
  const width = intervalWidths(best.result, plan.steps, options.intervalLevel);
  return {
    model: fitted.name,
    params: fitted.params,
    stepMs,
    points: points(series, fitted, horizon, width),
    intervalLevel: options.intervalLevel,
    backtest: {
      origins: plan.origins.length,
      steps: plan.steps,
      reference: reference.spec.name,
      referenceMae: reference.result.mae,
      mase: mase(best.result),
    },
    verdicts,
  };
}

/**
 * Pure: the index of the model to use, given backtest MSEs of models listed from the simplest to the most
 * structured: the last whose MSE is within structuredModelTolerance of the lowest.
 */
export function chooseModel(mses: readonly number[]): number {
  const lowest = Math.min(...mses);
  return mses.findLastIndex((mse) => mse <= lowest * (1 + structuredModelTolerance));
}

/** Too short a history for a backtest: the last value, without an interval. */
function unscored(
  series: CountSeries,
  horizon: number,
  options: ForecastOptions,
  specs: ModelSpec[],
): Forecast {
  const fitted = lastValue.fit(series.values, horizon);
  const reason = `${series.values.length} point(s) of history: too few to backtest any model`;
  return {
    model: fitted.name,
    params: fitted.params,
    stepMs: series.stepMs,
    points: points(series, fitted, horizon, () => null),
    intervalLevel: options.intervalLevel,
    backtest: null,
    verdicts: specs.map((spec) => ({
      model: spec.name,
      chosen: spec === lastValue,
      mae: null,
      mse: null,
      mase: null,
      reason: spec === lastValue ? `${reason}; the last value stands` : reason,
    })),
  };
}

function points(
  series: CountSeries,
  fitted: FittedModel,
  horizon: number,
  width: (k: number, value: number) => number | null,
): ForecastPoint[] {
  const n = series.values.length;
  return fitted.forecast(horizon).map((raw, k) => {
    const value = Math.max(0, raw);
    const w = width(k, value);
    return {
      atMs: series.startMs + (n + k) * series.stepMs,
      value,
      low: w === null ? null : Math.max(0, value - w),
      high: w === null ? null : value + w,
    };
  });
}

/**
 * Half-widths by lead time k (0-based) and point forecast: the counts' spread grows with their level (for
 * Poisson arrivals, as its square root), so backtest errors are scaled by the square root of their forecast
 * (at least 1) and the level's quantile of those, per quarter of the backtest's steps, is scaled back by the
 * new forecast's; beyond the backtest's steps, widened by the square root of the lead-time ratio.
 */
function intervalWidths(
  result: BacktestResult,
  steps: number,
  level: number,
): (k: number, value: number) => number {
  const quarters = Math.min(4, steps);
  const quarterOf = (k: number) => Math.min(quarters - 1, Math.floor((k * quarters) / steps));
  const scale = (value: number) => Math.sqrt(Math.max(1, value));
  const scaled: number[][] = Array.from({ length: quarters }, () => []);
  result.errors.forEach((errors, j) =>
    errors.forEach((e, k) => scaled[quarterOf(k)].push(Math.abs(e) / scale(result.forecasts[j][k])))
  );
  const quantiles = scaled.map((a) => {
    a.sort((x, y) => x - y);
    return a[Math.max(0, Math.ceil(level * a.length) - 1)];
  });
  return (k, value) =>
    scale(value) *
    (k < steps ? quantiles[quarterOf(k)] : quantiles[quarters - 1] * Math.sqrt((k + 1) / steps));
}
