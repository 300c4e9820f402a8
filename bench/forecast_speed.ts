/**
 * `npm run bench:forecast`: how long `forecastSeries()` takes on one function's requests per minute of the
 * reference trace (14 days at the rate `npm run bench` uses), from 1 hour, 2 days, 7 days and 14 days of
 * history: median and spread over `--repeats` runs (default 5) after one warm-up. Prints a markdown table.
 *
 * Options: --repeats N, --seed N (1), --function NAME (robots).
 */
import { parseArgs } from "node:util";
import { forecastSeries } from "../shared/forecast/forecast.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../shared/time.ts";
import { median } from "./stats/percentile.ts";
import { generateTrace } from "./trace/generate.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeats: { type: "string", default: "5" },
    seed: { type: "string", default: "1" },
    function: { type: "string", default: "robots" },
  },
});
const repeats = Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) {
  throw new RangeError(`--repeats must be >= 1: got ${values.repeats}`);
}

const trace = generateTrace({
  seed: Number(values.seed),
  startIso: "2025-03-03T00:00:00.000Z",
  durationMs: 14 * DAY_MS,
  peakRequestsPerMinute: 30,
});
const perMinute = new Array<number>(14 * DAY_MS / MINUTE_MS).fill(0);
for (const request of trace.requests) {
  if (request.fn === values.function) perMinute[Math.floor(request.atMs / MINUTE_MS)]++;
}
if (perMinute.every((n) => n === 0)) {
  throw new Error(`no requests for function ${values.function} in the trace`);
}

console.log(`| history | model chosen | time (ms), median (min–max) over ${repeats} |`);
console.log("| --- | --- | --- |");
for (
  const [label, ms] of [["1 hour", HOUR_MS], ["2 days", 2 * DAY_MS], ["7 days", 7 * DAY_MS], [
    "14 days",
    14 * DAY_MS,
  ]] as const
) {
  const series = { startMs: 0, stepMs: MINUTE_MS, values: perMinute.slice(0, ms / MINUTE_MS) };
  const { model } = forecastSeries(series);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    forecastSeries(series);
    times.push(performance.now() - start);
  }
  const f = (v: number) => v.toFixed(1);
  console.log(
    `| ${label} | ${model} | ${f(median(times)!)} (${f(Math.min(...times))}–${f(Math.max(...times))}) |`,
  );
}
console.log(
  `\n${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, function ${values.function}, seed ${values.seed}`,
);
