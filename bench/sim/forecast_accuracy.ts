/**
 * How well the suite's forecaster (shared/forecast) predicts each function's requests per minute on a long
 * trace, in the two situations the targets name:
 *
 * - `second day`: forecasts made every `originEveryMinutes` during the trace's second day from all the history
 *   so far (one to two days), scored against seasonal naive (the same minutes a day earlier);
 * - `one hour`: forecasts made every `originEveryMinutes` over the whole trace from the preceding hour alone,
 *   scored against last-value naive.
 *
 * Each forecast reaches `horizonMinutes` ahead (cut at the trace's end). MASE is the forecaster's mean
 * absolute error over all those forecast minutes divided by the reference's over the same minutes.
 */
import { forecastSeries } from "../../shared/forecast/forecast.ts";
import type { ModelName } from "../../shared/forecast/model.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";
import { table } from "./markdown.ts";

export interface ForecastAccuracyOptions {
  horizonMinutes: number;
  originEveryMinutes: number;
}

export const forecastAccuracyDefaults: ForecastAccuracyOptions = {
  horizonMinutes: 120,
  originEveryMinutes: 60,
};

export interface ForecastAccuracyRow {
  history: "second day" | "one hour";
  /** A function, or "all functions" for the pooled errors. */
  target: string;
  reference: "seasonal-naive-daily" | "last-value";
  origins: number;
  /** Forecast minutes scored. */
  minutes: number;
  mae: number;
  referenceMae: number;
  /** mae / referenceMae; null when the reference made no error. */
  mase: number | null;
  /** Share of the forecast minutes whose count fell inside the forecast's interval; null without intervals. */
  coverage: number | null;
  /** How often each model was chosen. */
  chosen: Partial<Record<ModelName, number>>;
}

/** Pure: the forecaster's accuracy per function and pooled, from each function's request times. */
export function forecastAccuracy(
  timesByFunction: ReadonlyMap<string, readonly number[]>,
  durationMs: number,
  input: Partial<ForecastAccuracyOptions> = {},
): ForecastAccuracyRow[] {
  const o = { ...forecastAccuracyDefaults, ...input };
  const minutes = Math.ceil(durationMs / MINUTE_MS);
  const perMinute = new Map<string, number[]>();
  for (const [fn, times] of timesByFunction) {
    const series = new Array<number>(minutes).fill(0);
    for (const atMs of times) series[Math.min(minutes - 1, Math.floor(atMs / MINUTE_MS))]++;
    perMinute.set(fn, series);
  }
  const day = DAY_MS / MINUTE_MS;
  const hour = HOUR_MS / MINUTE_MS;
  const situations = [
    {
      history: "second day" as const,
      reference: "seasonal-naive-daily" as const,
      origins: range(day, Math.min(2 * day, minutes), o.originEveryMinutes),
      from: (_origin: number) => 0,
      predict: (values: number[], at: number) => values[at - day],
    },
    {
      history: "one hour" as const,
      reference: "last-value" as const,
      origins: range(hour, minutes, o.originEveryMinutes),
      from: (origin: number) => origin - hour,
      predict: (values: number[], _at: number, origin: number) => values[origin - 1],
    },
  ];
  const rows: ForecastAccuracyRow[] = [];
  for (const situation of situations) {
    const pooled = emptyTally();
    for (const [fn, values] of [...perMinute].sort(([a], [b]) => a.localeCompare(b))) {
      const tally = emptyTally();
      for (const origin of situation.origins) {
        const history = values.slice(situation.from(origin), origin);
        const forecast = forecastSeries(
          { startMs: 0, stepMs: MINUTE_MS, values: history },
          { horizonMinutes: o.horizonMinutes },
        );
        tally.chosen[forecast.model] = (tally.chosen[forecast.model] ?? 0) + 1;
        tally.origins++;
        forecast.points.forEach((point, k) => {
          const at = origin + k;
          if (at >= minutes) return;
          tally.minutes++;
          if (point.low !== null && point.high !== null) {
            tally.bounded++;
            if (values[at] >= point.low && values[at] <= point.high) tally.covered++;
          }
          tally.error += Math.abs(values[at] - point.value);
          tally.referenceError += Math.abs(values[at] - situation.predict(values, at, origin));
        });
      }
      rows.push(row(situation.history, fn, situation.reference, tally));
      addTally(pooled, tally);
    }
    rows.push(row(situation.history, "all functions", situation.reference, pooled));
  }
  return rows;
}

interface Tally {
  origins: number;
  minutes: number;
  error: number;
  referenceError: number;
  bounded: number;
  covered: number;
  chosen: Partial<Record<ModelName, number>>;
}

function emptyTally(): Tally {
  return { origins: 0, minutes: 0, error: 0, referenceError: 0, bounded: 0, covered: 0, chosen: {} };
}

function addTally(into: Tally, from: Tally): void {
  into.origins += from.origins;
  into.minutes += from.minutes;
  into.error += from.error;
  into.referenceError += from.referenceError;
  into.bounded += from.bounded;
  into.covered += from.covered;
  for (const [model, n] of Object.entries(from.chosen) as [ModelName, number][]) {
    into.chosen[model] = (into.chosen[model] ?? 0) + n;
  }
}

function row(
  history: ForecastAccuracyRow["history"],
  target: string,
  reference: ForecastAccuracyRow["reference"],
  t: Tally,
): ForecastAccuracyRow {
  const mae = t.minutes === 0 ? 0 : t.error / t.minutes;
  const referenceMae = t.minutes === 0 ? 0 : t.referenceError / t.minutes;
  return {
    history,
    target,
    reference,
    origins: t.origins,
    minutes: t.minutes,
    mae,
    referenceMae,
    mase: referenceMae > 0 ? mae / referenceMae : null,
    coverage: t.bounded === 0 ? null : t.covered / t.bounded,
    chosen: t.chosen,
  };
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v < to; v += step) out.push(v);
  return out;
}

/** The rows as a markdown table, with what each situation means. */
export function forecastAccuracyMarkdown(rows: ForecastAccuracyRow[]): string {
  const f = (v: number | null, digits: number) => (v === null ? "n/a" : v.toFixed(digits));
  return [
    table(
      [
        "history",
        "target",
        "reference",
        "origins",
        "minutes",
        "MAE",
        "reference MAE",
        "MASE",
        "80 % interval held",
        "models chosen",
      ],
      rows.map((r) => [
        r.history,
        r.target,
        r.reference,
        String(r.origins),
        String(r.minutes),
        f(r.mae, 3),
        f(r.referenceMae, 3),
        f(r.mase, 3),
        r.coverage === null ? "n/a" : `${(r.coverage * 100).toFixed(1)} %`,
        Object.entries(r.chosen).map(([model, n]) => `${model} ${n}`).join(", "),
      ]),
    ),
    "- `second day`: a forecast every hour of the trace's second day from all the history so far (one to two " +
    "days), against seasonal naive (the same minutes a day earlier)",
    "- `one hour`: a forecast every hour of the trace from the preceding hour alone, against last-value naive",
    "- `80 % interval held`: share of the forecast minutes whose count fell inside the forecast's 80 % interval",
    "- each forecast reaches 2 hours ahead (cut at the trace's end); MASE is the forecaster's mean absolute " +
    "error over all forecast minutes divided by the reference's over the same minutes; below 1 is better",
  ].join("\n");
}
