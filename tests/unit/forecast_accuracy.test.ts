import assert from "node:assert/strict";
import { forecastAccuracy, forecastAccuracyMarkdown } from "../../bench/sim/forecast_accuracy.ts";
import { createRng, exponential } from "../../bench/trace/prng.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";

/** Request times of a Poisson process whose rate per minute follows a daily cycle between 1 and 21. */
function dailyCycle(days: number, seed: number): number[] {
  const rng = createRng(seed);
  const times: number[] = [];
  const peak = 21 / MINUTE_MS;
  // thinning: candidates at the peak rate, kept with rate(t) / peak
  for (let t = exponential(rng, 1 / peak); t < days * DAY_MS; t += exponential(rng, 1 / peak)) {
    const rate = (11 - 10 * Math.cos((2 * Math.PI * (t % DAY_MS)) / DAY_MS)) / MINUTE_MS;
    if (rng() < rate / peak) times.push(t);
  }
  return times;
}

const trace = new Map([["a", dailyCycle(3, 1)], ["b", dailyCycle(3, 2)]]);
const rows = forecastAccuracy(trace, 3 * DAY_MS, { originEveryMinutes: 240 });

Deno.test("forecastAccuracy() beats seasonal naive on the second day of a daily cycle", () => {
  const pooled = rows.find((r) => r.history === "second day" && r.target === "all functions")!;
  assert.equal(pooled.reference, "seasonal-naive-daily");
  assert.ok(pooled.mase! < 0.9, `MASE ${pooled.mase}`);
});

Deno.test("forecastAccuracy() beats last-value naive from one hour of history", () => {
  const pooled = rows.find((r) => r.history === "one hour" && r.target === "all functions")!;
  assert.equal(pooled.reference, "last-value");
  assert.ok(pooled.mase! < 1, `MASE ${pooled.mase}`);
});

Deno.test("forecastAccuracy() pools the functions' forecast minutes and origins", () => {
  for (const history of ["second day", "one hour"]) {
    const of = (target: string) => rows.find((r) => r.history === history && r.target === target)!;
    assert.equal(of("all functions").minutes, of("a").minutes + of("b").minutes);
    assert.equal(of("all functions").origins, of("a").origins + of("b").origins);
  }
});

Deno.test("forecastAccuracy() makes second-day forecasts only during the second day", () => {
  const a = rows.find((r) => r.history === "second day" && r.target === "a")!;
  assert.equal(a.origins, 6);
  assert.equal(a.minutes, 6 * 120);
});

Deno.test("forecastAccuracyMarkdown() gives every row as many cells as the header", () => {
  const lines = forecastAccuracyMarkdown(rows).split("\n").filter((line) => line.startsWith("|"));
  const cells = (line: string) => line.split(" | ").length;
  assert.deepEqual(new Set(lines.map(cells)), new Set([cells(lines[0])]));
});

Deno.test("forecastAccuracy() reports how often the intervals held", () => {
  const pooled = rows.find((r) => r.history === "second day" && r.target === "all functions")!;
  assert.ok(pooled.coverage! > 0.6 && pooled.coverage! < 0.95, `coverage ${pooled.coverage}`);
});
