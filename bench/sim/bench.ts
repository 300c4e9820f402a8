/**
 * `npm run bench:sim`: the simulation alone, over a 14-day trace of the reference generator
 * (bench/trace/generate.ts) or over an outside trace in the Azure Functions 2019 per-minute layout
 * (bench/sim/azure_trace.ts), timed, with the result tables; the result goes to bench/results/sim-latest.json.
 * The harness (`npm run bench`) runs the same simulation with cold-start figures measured on the stack.
 *
 * Options: --days N (14), --peak-per-minute N (150: about a million requests in 14 days), --seed N (1; also
 * spreads an outside trace's minutes), --trace-file PATH (an outside trace instead of the generator),
 * --cold-start-ms N (100), --warm-ms N (5), --json PATH (bench/results/sim-latest.json).
 */
import { parseArgs } from "node:util";
import { generateTrace } from "../trace/generate.ts";
import { readAzureTrace } from "./azure_trace.ts";
import { simulate, toMarkdown } from "./run.ts";
import { DAY_MS } from "../../shared/time.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    days: { type: "string", default: "14" },
    "peak-per-minute": { type: "string", default: "150" },
    seed: { type: "string", default: "1" },
    // The local stack's Deno cold start is 65-125 ms to first response (docs/reference_workload.md).
    "cold-start-ms": { type: "string", default: "100" },
    "warm-ms": { type: "string", default: "5" },
    "trace-file": { type: "string" },
    json: { type: "string", default: new URL("../results/sim-latest.json", import.meta.url).pathname },
  },
});

const seed = Number(values.seed);
const traceFile = values["trace-file"];
const generationStart = performance.now();
const source = traceFile ? readAzureTrace(await Deno.readTextFile(traceFile), seed) : null;
const trace = source ? { durationMs: source.durationMs, requests: source.requests() } : generateTrace({
  seed,
  durationMs: Number(values.days) * DAY_MS,
  peakRequestsPerMinute: Number(values["peak-per-minute"]),
});
const generationMs = performance.now() - generationStart;
const requestCount = source ? source.invocations : (trace.requests as unknown[]).length;
const what = source
  ? `${traceFile}: ${source.functions} functions, ${requestCount} requests over ${source.minutes / 1440} days`
  : `${requestCount} requests over ${values.days} days of the reference generator`;

const simulationStart = performance.now();
const result = simulate({
  trace,
  coldStartMs: Number(values["cold-start-ms"]),
  warmLatencyMs: Number(values["warm-ms"]),
});
const simulationMs = performance.now() - simulationStart;

console.log(toMarkdown(result));
console.log(
  `runtime: ${what}, read in ${
    (generationMs / 1000).toFixed(2)
  } s, simulated (${result.warming.rows.length} ` +
    `warming policies, ${result.caching.rows.length} cache runs) in ${(simulationMs / 1000).toFixed(2)} s ` +
    `(${
      Math.round(requestCount / (simulationMs / 60_000))
    } requests a minute) on ${navigator.hardwareConcurrency} ` +
    `cores, Deno ${Deno.version.deno}`,
);
await Deno.writeTextFile(
  values.json,
  JSON.stringify({ trace: what, ...result, runtime: { generationMs, simulationMs } }, null, 2) + "\n",
);
console.log(`written: ${values.json}`);
