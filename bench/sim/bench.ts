/**
 * `deno run -A bench/sim/bench.ts`: the simulation over a 14-day trace of the reference generator
 * (bench/trace/generate.ts), timed, with the result tables. It measures the simulation's own cost; the
 * harness (`npm run bench`) runs it with cold-start figures measured on the stack.
 *
 * Options: --days N (14), --peak-per-minute N (150: about a million requests in 14 days), --seed N (1),
 * --cold-start-ms N (100), --warm-ms N (5), --json PATH (write the result there).
 */
import { parseArgs } from "node:util";
import { generateTrace } from "../trace/generate.ts";
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
    json: { type: "string" },
  },
});

const days = Number(values.days);
const generationStart = performance.now();
const trace = generateTrace({
  seed: Number(values.seed),
  durationMs: days * DAY_MS,
  peakRequestsPerMinute: Number(values["peak-per-minute"]),
});
const generationMs = performance.now() - generationStart;

const simulationStart = performance.now();
const result = simulate({
  trace,
  coldStartMs: Number(values["cold-start-ms"]),
  warmLatencyMs: Number(values["warm-ms"]),
});
const simulationMs = performance.now() - simulationStart;

console.log(toMarkdown(result));
console.log(
  `runtime: ${trace.requests.length} requests over ${days} days generated in ${
    (generationMs / 1000).toFixed(2)
  } s, ` +
    `simulated (${result.warming.rows.length} warming policies, ${result.caching.rows.length} cache runs) in ` +
    `${
      (simulationMs / 1000).toFixed(2)
    } s on ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
);
if (values.json) {
  await Deno.writeTextFile(
    values.json,
    JSON.stringify({ ...result, runtime: { generationMs, simulationMs } }, null, 2) + "\n",
  );
}
