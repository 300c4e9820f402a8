/**
 * `deno run -A bench/sim/bench.ts`: the simulation over a synthetic 14-day trace of about a million requests
 * (bench/sim/synthetic_trace.ts), timed, with the result tables. It measures the simulation's own cost; the
 * harness runs it on the real trace with cold-start figures measured on the stack.
 *
 * Options: --days N (14), --requests-per-day N (72000), --seed N (1), --cold-start-ms N (100),
 * --warm-ms N (5), --json PATH (write the result there).
 */
import { parseArgs } from "node:util";
import { simulate, toMarkdown } from "./run.ts";
import { syntheticTrace, syntheticTraceDefaults } from "./synthetic_trace.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    days: { type: "string", default: String(syntheticTraceDefaults.days) },
    "requests-per-day": { type: "string", default: String(syntheticTraceDefaults.requestsPerDay) },
    seed: { type: "string", default: String(syntheticTraceDefaults.seed) },
    // The local stack's Deno cold start is 65-125 ms to first response (shared/reference.md).
    "cold-start-ms": { type: "string", default: "100" },
    "warm-ms": { type: "string", default: "5" },
    json: { type: "string" },
  },
});

const days = Number(values.days);
const generationStart = performance.now();
const requests = [...syntheticTrace({
  days,
  requestsPerDay: Number(values["requests-per-day"]),
  seed: Number(values.seed),
})];
const generationMs = performance.now() - generationStart;

const simulationStart = performance.now();
const result = simulate({
  trace: { durationMs: days * 86_400_000, requests },
  coldStartMs: Number(values["cold-start-ms"]),
  warmLatencyMs: Number(values["warm-ms"]),
});
const simulationMs = performance.now() - simulationStart;

console.log(toMarkdown(result));
console.log(
  `runtime: ${requests.length} requests over ${days} days generated in ${
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
