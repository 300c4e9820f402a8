import assert from "node:assert/strict";
import { MINUTE_MS, referenceForecast } from "../../shared/mod.ts";

const day = 1440;

Deno.test("referenceForecast() repeats the same minutes a day earlier once the history holds a day", () => {
  const values = Array.from({ length: day + 10 }, (_, i) => i);
  const reference = referenceForecast({ startMs: 0, stepMs: MINUTE_MS, values }, 3);
  assert.deepEqual(reference, { model: "seasonal-naive-daily", values: [10, 11, 12] });
});

Deno.test("referenceForecast() repeats the last value with less than a day of history", () => {
  const reference = referenceForecast({ startMs: 0, stepMs: MINUTE_MS, values: [5, 9, 4] }, 2);
  assert.deepEqual(reference, { model: "last-value", values: [4, 4] });
});

Deno.test("referenceForecast() forecasts 0 from an empty history", () => {
  assert.deepEqual(referenceForecast({ startMs: 0, stepMs: MINUTE_MS, values: [] }, 2).values, [0, 0]);
});
