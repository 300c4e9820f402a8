/**
 * `npm run bench:warm`: the warmer measured end to end, in real time. The same trace window of the reference
 * app is replayed at compression 1 under three scenarios, interleaved and repeated: `baseline` (nothing on),
 * `fixed-1m` (a ping to every app function every minute, serverless-plugin-warmup style) and `optimized` (the
 * suite's warmer, bench/harness/suite_warmer.ts: pg_cron → net.http_post → POST /warmer/run every minute, its
 * pings sent at their planned instants). Nothing else differs: no cache, no extra index.
 *
 * Compression 1 because the warmer plans in the platform's minutes from the metric store's per-minute rollups;
 * the 60x replay of `npm run bench` squeezes a trace minute into a second, which no rollup resolves. The
 * gateway's workers live as on hosted Supabase's Free plan: 60 s idle timeout, 150 s lifetime.
 *
 * Each run first replays the trace's --lead-in-minutes before the window, left out of every figure: longer than
 * a worker's lifetime, so every worker live when the window opens was booted by the scenario's own traffic and
 * pings. Without it the window would open on a new gateway with no worker at all, cold for every scenario but
 * `fixed-1m`, which pings at its start; a deployed warmer runs for months.
 *
 * Options: --minutes N (20: the window each scenario measures, in real minutes), --lead-in-minutes N (3),
 * --repeats N (1), --seed N (1),
 * --scale small|medium|large|<robots> (small), --priority performance|cost|reliability (performance),
 * --pings-per-hour N (120, the config's default budget), --out DIR (bench/results).
 * Writes DIR/warm-<time>.json and .md and DIR/warm-latest.json and .md.
 */
import { parseArgs } from "node:util";
import { leaseStack } from "../scripts/with_stack.ts";
import { createProgress } from "./harness/progress.ts";
import { compareRuns, comparisonMarkdown } from "./harness/report.ts";
import { appFunctions, runInterleaved, type ScenarioSpec } from "./harness/scenario.ts";
import { baselineSpec } from "./harness/scenarios.ts";
import { projectFunctionsConfig, warmerActivityMarkdown, warmerFeature } from "./harness/suite_warmer.ts";
import { prepareWorld, type WorldOptions } from "./harness/world.ts";
import { parseScale } from "./reference_app/data/options.ts";
import { sliceTrace } from "./trace/replay.ts";
import { HOUR_MS, MINUTE_MS } from "../shared/time.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "20" },
    "lead-in-minutes": { type: "string", default: "3" },
    repeats: { type: "string", default: "1" },
    seed: { type: "string", default: "1" },
    scale: { type: "string", default: "small" },
    priority: { type: "string", default: "performance" },
    "pings-per-hour": { type: "string", default: "120" },
    out: { type: "string", default: "bench/results" },
  },
});

const minutes = Number(values.minutes);
const leadInMinutes = Number(values["lead-in-minutes"]);
const repeats = Number(values.repeats);
const seed = Number(values.seed);
const pingsPerHour = Number(values["pings-per-hour"]);
for (
  const [name, value, min] of [
    ["minutes", minutes, 2],
    ["lead-in-minutes", leadInMinutes, 0],
    ["repeats", repeats, 1],
    ["seed", seed, 0],
    ["pings-per-hour", pingsPerHour, 1],
  ] as const
) {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} must be a whole number >= ${min}: got ${value}`);
  }
}
const priorities = ["performance", "cost", "reliability"] as const;
const priority = values.priority as (typeof priorities)[number];
if (!priorities.includes(priority)) {
  throw new Error(`--priority must be ${priorities.join(", ")}: got ${values.priority}`);
}

const compression = 1;
const worldOptions: WorldOptions = {
  seed,
  scale: parseScale(values.scale),
  variant: "pk-only",
  // the day and the traffic of `npm run bench`, so the window is one that run replays too
  dayIso: "2025-03-04T00:00:00.000Z",
  measuredMs: minutes * MINUTE_MS,
  // no peer advice here: the discovery window (a minute, the shortest a slice allows) is not replayed
  discoveryMs: MINUTE_MS,
  notBeforeMs: 6 * HOUR_MS,
  peakRequestsPerMinute: 30,
};
const scenarioNames = ["baseline", "fixed-1m", "optimized"];

const progress = createProgress([
  { name: "stack", expectedSeconds: 5 },
  { name: "reference data", expectedSeconds: 5 },
  // each run: its lead-in and window in real time, and about 25 s to restore the data and start its gateway
  {
    name: "scenarios",
    expectedSeconds: repeats * scenarioNames.length * ((leadInMinutes + minutes) * 60 + 25),
  },
  { name: "report", expectedSeconds: 1 },
]);

progress.phase("stack");
const lease = await leaseStack();
const project = await projectFunctionsConfig();
let world: Awaited<ReturnType<typeof prepareWorld>> | null = null;
try {
  progress.phase("reference data");
  world = await prepareWorld(lease.env, worldOptions);
  await world.sql`create extension if not exists pg_prewarm with schema extensions`;

  const warmer = warmerFeature(lease.env, {
    appFunctions,
    priority,
    pingsPerHour,
    functionsConfigPath: project.path,
  });
  const specs: ScenarioSpec[] = [
    baselineSpec(),
    {
      name: "fixed-1m",
      description: "a ping to every app function every minute (serverless-plugin-warmup style), nothing else",
      appCache: null,
      warmerIntervalMs: MINUTE_MS,
      indexes: null,
      features: [],
    },
    {
      name: "optimized",
      description: `${warmer.name}, nothing else`,
      appCache: null,
      warmerIntervalMs: null,
      indexes: null,
      features: [warmer],
    },
  ];

  progress.phase("scenarios");
  const leadInMs = leadInMinutes * MINUTE_MS;
  const { fromMs, toMs } = world.windows.measured;
  if (fromMs < leadInMs) throw new Error(`--lead-in-minutes ${leadInMinutes} reaches before the traced day`);
  const runs = await runInterleaved(world, sliceTrace(world.day, fromMs - leadInMs, toMs), specs, repeats, {
    compression,
    leadInMs,
    indexSets: {},
    onProgress: (text) => progress.detail(text),
  });

  progress.phase("report");
  const comparison = compareRuns(runs, scenarioNames, ["baseline", "fixed-1m"]);
  const startedAt = new Date().toISOString();
  const command = `npm run bench:warm -- ${Deno.args.join(" ")}`.trim();
  const markdown = [
    `# The warmer in real time (${startedAt})`,
    "",
    `\`${command}\`: ${minutes} minutes of the reference trace from ${
      new Date(Date.parse(world.measured.startIso)).toISOString()
    } (${world.measured.requests.length} requests), after a lead-in of ${leadInMinutes} minute(s) replayed and not measured, compression 1, ${repeats} repeat(s), ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}. Workers: 60 s idle timeout, 150 s lifetime.`,
    "",
    ...specs.map((s) => `- \`${s.name}\`: ${s.description}`),
    "",
    comparisonMarkdown(comparison),
    "",
    "The warmer's own record of each `optimized` run (optimizer.runs, optimizer.warm_pings):",
    "",
    ...warmerActivityMarkdown(warmer.activity),
    "",
  ].join("\n");
  const result = {
    startedAt,
    command,
    options: values,
    worldOptions,
    comparison,
    warmer: warmer.activity,
    runs,
  };
  const stamp = startedAt.replaceAll(":", "-").replace(".", "-");
  await Deno.mkdir(values.out, { recursive: true });
  for (const name of [`warm-${stamp}`, "warm-latest"]) {
    await Deno.writeTextFile(`${values.out}/${name}.json`, JSON.stringify(result, null, 2) + "\n");
    await Deno.writeTextFile(`${values.out}/${name}.md`, markdown);
  }
  progress.finish();
  console.log(markdown);
} finally {
  await world?.sql.end();
  await project.remove().catch(() => {});
  await lease.release();
}
