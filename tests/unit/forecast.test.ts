import assert from "node:assert/strict";
import { createRng, poisson } from "../../bench/trace/prng.ts";
import { chooseModel, forecastSeries } from "../../shared/forecast/forecast.ts";
import { type CountSeries, fromFirstEvent, regularSeries } from "../../shared/forecast/series.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";

const day = DAY_MS / MINUTE_MS;

/** Poisson counts per minute around `rate(minute)`, seeded. */
function counts(minutes: number, rate: (minute: number) => number, seed = 1): CountSeries {
  const rng = createRng(seed);
  return {
    startMs: 0,
    stepMs: MINUTE_MS,
    values: Array.from({ length: minutes }, (_, m) => poisson(rng, rate(m))),
  };
}

/** A daily cycle between 1 and 21 requests a minute, busiest at noon. */
const daily = (m: number) => 11 - 10 * Math.cos((2 * Math.PI * (m % day)) / day);

Deno.test("forecastSeries() chooses a daily model on a daily cycle and beats seasonal naive", () => {
  const forecast = forecastSeries(counts(3 * day, daily));
  assert.match(forecast.model, /daily/);
  assert.equal(forecast.backtest?.reference, "seasonal-naive-daily");
  assert.ok(forecast.backtest!.mase! < 0.8, `MASE ${forecast.backtest!.mase}`);
});

Deno.test("forecastSeries() scores against last-value naive with less than a day before the backtest", () => {
  const forecast = forecastSeries(counts(60, () => 8));
  assert.equal(forecast.backtest?.reference, "last-value");
  assert.equal(forecast.model, "ses");
  assert.ok(forecast.backtest!.mase! < 1, `MASE ${forecast.backtest!.mase}`);
});

Deno.test("forecastSeries() says why a seasonal model was not scored on a short history", () => {
  const forecast = forecastSeries(counts(600, () => 5));
  const verdict = forecast.verdicts.find((v) => v.model === "holt-winters-daily");
  assert.deepEqual(
    { chosen: verdict?.chosen, mae: verdict?.mae, reason: verdict?.reason },
    { chosen: false, mae: null, reason: "needs 1441 points before the first backtest origin, 180 there" },
  );
});

Deno.test("forecastSeries() records why each scored model lost", () => {
  const forecast = forecastSeries(counts(3 * day, daily));
  const lowest = Math.min(...forecast.verdicts.filter((v) => v.mse !== null).map((v) => v.mse!));
  for (const verdict of forecast.verdicts.filter((v) => !v.chosen && v.mse !== null)) {
    assert.match(
      verdict.reason,
      verdict.mse! > 1.25 * lowest
        ? /^backtest MSE [0-9.]+ more than 25 % above the lowest \([0-9.]+\)$/
        : new RegExp(
          `^backtest MSE [0-9.]+ within 25 % of the lowest, but ${forecast.model} is more structured$`,
        ),
    );
  }
});

Deno.test("chooseModel() keeps a more structured model whose backtest MSE is within 25 % of the lowest", () => {
  assert.equal(chooseModel([1.0, 0.9, 1.1]), 2);
});

Deno.test("chooseModel() drops a more structured model whose backtest MSE is 25 % above the lowest", () => {
  assert.equal(chooseModel([1.0, 0.9, 1.2]), 1);
});

Deno.test("forecastSeries() keeps the last value, without an interval, when one point is all there is", () => {
  const forecast = forecastSeries({ startMs: 0, stepMs: MINUTE_MS, values: [4] }, { horizonMinutes: 3 });
  assert.deepEqual(forecast.points, [
    { atMs: 1 * MINUTE_MS, value: 4, low: null, high: null },
    { atMs: 2 * MINUTE_MS, value: 4, low: null, high: null },
    { atMs: 3 * MINUTE_MS, value: 4, low: null, high: null },
  ]);
  assert.equal(forecast.backtest, null);
});

Deno.test("forecastSeries() forecasts horizonMinutes ahead from the end of the series", () => {
  const series = counts(2 * day, daily);
  const forecast = forecastSeries(series, { horizonMinutes: 30 });
  assert.equal(forecast.points.length, 30);
  assert.equal(forecast.points[0].atMs, 2 * DAY_MS);
  assert.equal(forecast.points[29].atMs, 2 * DAY_MS + 29 * MINUTE_MS);
});

Deno.test("forecastSeries() intervals hold about their level of what follows", () => {
  const series = counts(2 * day + 600, daily, 7);
  let held = 0;
  let total = 0;
  for (let origin = 2 * day; origin + 120 <= series.values.length; origin += 120) {
    const forecast = forecastSeries({ ...series, values: series.values.slice(0, origin) });
    forecast.points.forEach((p, k) => {
      total++;
      if (series.values[origin + k] >= p.low! && series.values[origin + k] <= p.high!) held++;
    });
  }
  const coverage = held / total;
  assert.ok(coverage >= 0.65 && coverage <= 0.95, `80 % intervals held ${coverage.toFixed(3)}`);
});

Deno.test("forecastSeries() never forecasts a negative count", () => {
  const falling = counts(300, (m) => Math.max(0, 30 - m / 5));
  const forecast = forecastSeries(falling);
  assert.ok(forecast.points.every((p) => p.value >= 0 && (p.low === null || p.low >= 0)));
});

Deno.test("forecastSeries() rejects a horizon below a minute and says so", () => {
  assert.throws(
    () => forecastSeries(counts(10, () => 1), { horizonMinutes: 0 }),
    { name: "RangeError", message: "horizonMinutes must be >= 1: got 0" },
  );
});

Deno.test("regularSeries() fills the minutes a rollup has no row for with 0", () => {
  const series = regularSeries(
    [{ atMs: 0, value: 3 }, { atMs: 3 * MINUTE_MS + 5, value: 2 }, { atMs: 3 * MINUTE_MS, value: 1 }],
    { fromMs: 0, toMs: 5 * MINUTE_MS, stepMs: MINUTE_MS },
  );
  assert.deepEqual(series.values, [3, 0, 0, 3, 0]);
});

Deno.test("regularSeries() rejects a negative count and names where it is", () => {
  assert.throws(
    () => regularSeries([{ atMs: 60_000, value: -1 }], { fromMs: 0, toMs: 120_000, stepMs: MINUTE_MS }),
    { message: "a series value must be a count >= 0: got -1 at 60000" },
  );
});

Deno.test("fromFirstEvent() drops the zeros before the first event", () => {
  assert.deepEqual(fromFirstEvent({ startMs: 0, stepMs: MINUTE_MS, values: [0, 0, 3, 0, 1] }), {
    startMs: 2 * MINUTE_MS,
    stepMs: MINUTE_MS,
    values: [3, 0, 1],
  });
});

Deno.test("fromFirstEvent() leaves an empty series at the end of one without events", () => {
  assert.deepEqual(fromFirstEvent({ startMs: 0, stepMs: MINUTE_MS, values: [0, 0] }), {
    startMs: 2 * MINUTE_MS,
    stepMs: MINUTE_MS,
    values: [],
  });
});
