import assert from "node:assert/strict";
import {
  arrivalRateDefaults,
  ArrivalRates,
  checkArrivalRateOptions,
} from "../../shared/warm/arrival_rate.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";

const minutesPerDay = DAY_MS / MINUTE_MS;

/** Counts from a function of the minute, known from `firstMinute`. */
function counts(perMinute: (minute: number) => number, firstMinute = 0) {
  return { firstMinute, count: perMinute };
}

Deno.test("ArrivalRates: with less than a day of history the rate is the last minutes' mean", () => {
  const rates = new ArrivalRates(counts((m) => (m >= 90 ? 6 : 0)), 100 * MINUTE_MS);
  assert.equal(rates.perMinute(100), 6);
  assert.equal(rates.perMinute(160), 6);
});

Deno.test("ArrivalRates: a daily peak seen on earlier days is expected again at the same minute", () => {
  // Quiet (1 a minute) except a burst of 30 a minute from 09:00 to 09:10 every day.
  const burst = (m: number) => (m % minutesPerDay >= 540 && m % minutesPerDay < 550 ? 30 : 1);
  const now = (3 * minutesPerDay + 530) * MINUTE_MS;
  const rates = new ArrivalRates(counts(burst), now);
  const inBurst = rates.perMinute(3 * minutesPerDay + 545);
  const before = rates.perMinute(3 * minutesPerDay + 531);
  assert.ok(inBurst > 10 * before, `expected the burst well above the quiet rate: ${inBurst} vs ${before}`);
});

Deno.test("ArrivalRates: minutes before the first data are unknown, not quiet", () => {
  // A day ago the function did not exist yet: the seasonal part must not pull the rate towards 0.
  const now = (minutesPerDay + 30) * MINUTE_MS;
  const rates = new ArrivalRates(counts(() => 4, minutesPerDay), now);
  assert.equal(rates.perMinute(minutesPerDay + 40), 4);
});

Deno.test("ArrivalRates.expected() integrates the rate over part minutes", () => {
  const rates = new ArrivalRates(counts(() => 6), 20 * MINUTE_MS);
  assert.equal(rates.expected(20 * MINUTE_MS, 20 * MINUTE_MS + 30_000), 3);
  assert.ok(Math.abs(rates.expected(20.5 * MINUTE_MS, 22.25 * MINUTE_MS) - 10.5) < 1e-9);
  assert.equal(rates.expected(5_000, 5_000), 0);
});

Deno.test("checkArrivalRateOptions() names the wrong option and its bound", () => {
  assert.throws(
    () => checkArrivalRateOptions({ ...arrivalRateDefaults, seasonalWeight: 1.5 }),
    /seasonalWeight must be between 0 and 1: got 1.5/,
  );
  assert.throws(
    () => checkArrivalRateOptions({ ...arrivalRateDefaults, recentMinutes: 0 }),
    /recentMinutes must be an integer >= 1: got 0/,
  );
});
