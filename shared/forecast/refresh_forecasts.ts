import { resolveOptions } from "../analyze/options.ts";
import type { MetricSystem } from "../metrics/metric_event.ts";
import { DAY_MS, MINUTE_MS } from "../time.ts";
import { type Forecast, forecastSeries } from "./forecast.ts";
import { type ForecastStore, type ForecastTarget, statementCalls } from "./forecast_store.ts";
import { type ReferenceForecast, referenceForecast } from "./reference.ts";
import { type CountSeries, fromFirstEvent } from "./series.ts";
import { recordedRun } from "../db/run_log.ts";

/**
 * A predictive refresh: score the stored forecasts whose minutes have all happened, then forecast the busiest
 * series of each kind below and store the forecasts for scoring later.
 *
 * 1. run: recorded as started (module `predictive`);
 * 2. score: every forecast whose last minute is at least `settleMinutes` old (later minutes may still get
 *    late events or wait for the next rollup);
 * 3. targets: the `maxTargets` busiest of each series kind over the history window;
 * 4. forecast: each target's history of up to `historyDays`, ending `settleMinutes` before now, forecast
 *    `horizonMinutes` ahead with its reference (shared/forecast/reference.ts), until the deadline; a target
 *    with no events in the window, or reached after the deadline, is skipped with the reason;
 * 5. run: recorded with the summary, or as failed with the error.
 */

/** The series kinds forecast: each function's requests, each statement's calls, each cache namespace's lookups. */
export const forecastKinds: readonly { system: MetricSystem; kind: string }[] = [
  { system: "edge", kind: "request" },
  statementCalls,
  { system: "cache", kind: "lookup" },
];

/** How much history, how many targets, and which minutes are final. */
export interface ForecastRefreshOptions {
  /** History read per target: enough for the weekly model (two weeks). */
  historyDays: number;
  /** Targets forecast per series kind, the busiest first. */
  maxTargets: number;
  /** Minutes before now that may still change: the rollup runs every minute and events may arrive late. */
  settleMinutes: number;
}

/** The refresh's defaults: two weeks of history, 8 targets per kind, minutes final after 3. */
export const forecastRefreshDefaults: ForecastRefreshOptions = {
  historyDays: 14,
  maxTargets: 8,
  settleMinutes: 3,
};

const bounds = {
  historyDays: { min: 1, max: 90 },
  maxTargets: { min: 1, max: 100, integer: true },
  settleMinutes: { min: 0, max: 60, integer: true },
};

/**
 * Pure: the whole minutes a forecast made at `now` is made from: `historyDays` back from `settleMinutes`
 * before now's minute.
 */
export function forecastHistoryWindow(
  now: Date,
  historyDays: number,
  settleMinutes = forecastRefreshDefaults.settleMinutes,
): { from: Date; to: Date } {
  const to = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS - settleMinutes * MINUTE_MS;
  return {
    from: new Date(to - Math.round((historyDays * DAY_MS) / MINUTE_MS) * MINUTE_MS),
    to: new Date(to),
  };
}

/** A target's forecast and what it was made from. */
export interface TargetForecast {
  /** The target's events per minute over the window. */
  history: CountSeries;
  /** The history from the target's first event on (fromFirstEvent()): what the forecast is made from. */
  series: CountSeries;
  /** The forecast, from `series`. */
  forecast: Forecast;
  /** The reference the forecast is scored against. */
  reference: ReferenceForecast;
}

/** A target's forecast `horizonMinutes` ahead from its history in `window`, with its reference. */
export async function forecastTarget(
  store: Pick<ForecastStore, "history">,
  target: ForecastTarget,
  window: { from: Date; to: Date },
  horizonMinutes: number,
): Promise<TargetForecast> {
  const history = await store.history(target, window.from, window.to);
  const series = fromFirstEvent(history);
  const forecast = forecastSeries(series, { horizonMinutes });
  return { history, series, forecast, reference: referenceForecast(series, forecast.points.length) };
}

/** What a refresh did. */
export interface ForecastRefreshSummary {
  /** The run (optimizer.runs) it was recorded as. */
  runId: string;
  /** When it started. */
  startedAt: string;
  /** Where the forecasts start: the end of the history they were made from. */
  historyTo: string;
  /** Stored forecasts scored at the start, now that their minutes have happened. */
  scored: number;
  /** The forecasts made and stored. */
  forecasts: (ForecastTarget & {
    forecastId: string;
    model: string;
    historyMinutes: number;
    /** The backtest's MASE of the chosen model; null without a backtest. */
    backtestMase: number | null;
  })[];
  /** Targets not forecast, with the reason. */
  skipped: (ForecastTarget & { reason: string })[];
}

/** What a refresh is asked to do. */
export interface ForecastRefreshInput {
  /** Who asked: pg_cron or a caller of the API. */
  trigger: "cron" | "api";
  /** The refresh's time: forecasts start from the whole minutes before it. */
  now: Date;
  /** Epoch ms (real clock) after which no further target is forecast. */
  deadlineMs: number;
  /** Minutes forecast ahead. */
  horizonMinutes: number;
  /** Over forecastRefreshDefaults. */
  options?: Partial<ForecastRefreshOptions>;
}

/** Runs one refresh as a run of its own. */
export async function refreshForecasts(
  store: ForecastStore,
  input: ForecastRefreshInput,
): Promise<ForecastRefreshSummary> {
  const options = resolveForecastRefreshOptions(input.options);
  return await recordedRun(
    store,
    input.trigger,
    input.now,
    (runId) => forecastInRun(store, runId, input, options),
  );
}

/** `input` over forecastRefreshDefaults; throws a RangeError naming a bad option. */
export function resolveForecastRefreshOptions(
  input: Partial<ForecastRefreshOptions> = {},
): ForecastRefreshOptions {
  return resolveOptions(forecastRefreshDefaults, bounds, input);
}

/**
 * Steps 2 to 4 of a refresh, inside run `runId`; `onForecast` is handed each forecast stored, for a caller that
 * acts on it in the same run.
 */
export async function forecastInRun(
  store: ForecastStore,
  runId: string,
  input: Omit<ForecastRefreshInput, "options">,
  options: ForecastRefreshOptions,
  onForecast: (target: ForecastTarget, made: TargetForecast) => void = () => {},
): Promise<ForecastRefreshSummary> {
  const { now } = input;
  const { from: historyFrom, to: historyTo } = forecastHistoryWindow(
    now,
    options.historyDays,
    options.settleMinutes,
  );
  const scored = await store.score(historyTo);
  const forecasts: ForecastRefreshSummary["forecasts"] = [];
  const skipped: ForecastRefreshSummary["skipped"] = [];
  for (const kind of forecastKinds) {
    const names = await store.busiestTargets(kind, historyFrom, historyTo, options.maxTargets);
    for (const name of names) {
      const target: ForecastTarget = { ...kind, target: name };
      if (Date.now() >= input.deadlineMs) {
        skipped.push({
          ...target,
          reason: "the run's deadline (limits.maxRunDurationSeconds) passed first",
        });
        continue;
      }
      const made = await forecastTarget(
        store,
        target,
        { from: historyFrom, to: historyTo },
        input.horizonMinutes,
      );
      const { series, forecast, reference } = made;
      if (series.values.length === 0) {
        skipped.push({
          ...target,
          reason: `no events in the ${options.historyDays} days before ${historyTo.toISOString()}`,
        });
        continue;
      }
      const forecastId = await store.save(runId, target, forecast, reference, now, series.values.length);
      onForecast(target, made);
      forecasts.push({
        ...target,
        forecastId,
        model: forecast.model,
        historyMinutes: series.values.length,
        backtestMase: forecast.backtest?.mase ?? null,
      });
    }
  }
  return {
    runId,
    startedAt: now.toISOString(),
    historyTo: historyTo.toISOString(),
    scored,
    forecasts,
    skipped,
  };
}
