/**
 * `npm run bench`: the yardstick. On the local stack it loads the QuantForge reference app, replays the same
 * trace window under every scenario (baseline, the peers, the suite's optimized scenario), interleaved and
 * repeated, and reports the figures with their spread and as paired ratios; then it simulates warming and
 * caching policies over 14 days in virtual time beside their limits, and measures what the suite itself costs.
 *
 * `npm run bench -- --quick` (about 6 minutes, what CI may run) uses the small data set, two repeats and
 * smaller volumes. Options: --repeats N, --compression N, --seed N, --scale small|medium|large|<robots>,
 * --variant pk-only|shipped-indexes, --out DIR, --skip-suite-costs, --with-shared-cache (all the app's reads in
 * `optimized` go through the suite's shared cache, bench/harness/suite_cache.ts, not only its quote reads),
 * --pings-per-hour N (the
 * warmer's budget in `optimized`; the config's default, 120).
 * Writes DIR/bench-<time>.json and .md and DIR/latest.json and latest.md (DIR defaults to bench/results).
 */
import { parseArgs } from "node:util";
import { leaseStack } from "../scripts/with_stack.ts";
import { createProgress } from "./harness/progress.ts";
import { adviseLikeADeveloper, type PeerAdvice } from "./harness/peer_indexes.ts";
import { coverLints, type Lint, type LintCoverage } from "./harness/advisors_coverage.ts";
import { checkIndexTargets, type TargetCheck } from "./harness/index_targets.ts";
import { advisePerQuery, type PerQueryAdvice } from "./harness/per_query_indexes.ts";
import {
  recommendationsFeature,
  type RecommendationsReport,
  type SystemRunReport,
  systemRunRequest,
} from "./harness/suite_recommendations.ts";
import { checkSystemDeadline, type SystemDeadlineCheck } from "./harness/system_deadline.ts";
import { checkSystemTargets, type GainPair, gainPairs, targetText } from "./harness/system_targets.ts";
import { checkOverallTargets } from "./harness/overall_targets.ts";
import { sharedCacheFeature } from "./harness/suite_cache.ts";
import { resilienceFeature } from "./harness/suite_resilience.ts";
import {
  onReplayClock,
  projectFunctionsConfig,
  type WarmerActivity,
  warmerActivityMarkdown,
  warmerFeature,
} from "./harness/suite_warmer.ts";
import { dbHealthDefaults } from "../shared/db_health/db_health_options.ts";
import { compareRuns, comparisonMarkdown } from "./harness/report.ts";
import { checkReliabilityTargets, reliabilitySettings, slowDatabaseFor } from "./harness/reliability.ts";
import {
  appFunctions,
  runInterleaved,
  runScenario,
  type ScenarioRun,
  type SlowDatabase,
} from "./harness/scenario.ts";
import type { Outage } from "./trace/trace.ts";
import { heaviestStatements, statementTimesMarkdown } from "./harness/statement_times.ts";
import {
  baselineSpec,
  indexSetNames,
  peerCache,
  peerScenarioNames,
  scenarioSpecs,
} from "./harness/scenarios.ts";
import {
  measureSuiteCosts,
  suiteCostQuick,
  type SuiteCosts,
  suiteCostsMarkdown,
} from "./harness/suite_costs.ts";
import { prepareWorld, type Windows, type WorldOptions } from "./harness/world.ts";
import { simulate, toMarkdown } from "./sim/run.ts";
import { readThroughFloor } from "./sim/read_through_floor.ts";
import { warmingFloor, type WarmingFloorAt, warmingFloorMarkdown } from "./sim/warming_floor.ts";
import { generateTrace } from "./trace/generate.ts";
import { median } from "./stats/percentile.ts";
import { parseScale } from "./reference_app/data/options.ts";
import { defaultLatencyMs } from "./reference_app/upstream.ts";
import { type Variant, variants } from "./reference_app/data/load.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../shared/time.ts";
import { defaultConfig } from "../shared/config/config.ts";

/** How many of the heaviest app statements the report shows. */
const heaviestShown = 10;

function parseVariant(raw: string): Variant {
  if (!(variants as readonly string[]).includes(raw)) {
    throw new Error(`--variant must be ${variants.join(" or ")}: got ${raw}`);
  }
  return raw as Variant;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    repeats: { type: "string" },
    compression: { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    scale: { type: "string" },
    variant: { type: "string", default: "pk-only" },
    out: { type: "string", default: "bench/results" },
    "skip-suite-costs": { type: "boolean", default: false },
    // the shared cache at the peers' TTL did not pay on this trace (README, "Latest comparison"), so
    // `optimized` keeps it to the quote reads, whose stale-if-error the resilience feature needs, unless asked
    "with-shared-cache": { type: "boolean", default: false },
    // the warmer's budget in `optimized` (limits.warmPingsPerHour); the config's default unless given
    "pings-per-hour": { type: "string" },
  },
});

const quick = values.quick;
/** The switches given, as the report's command shows them. */
const flags = [
  quick && "--quick",
  values["with-shared-cache"] && "--with-shared-cache",
  values["pings-per-hour"] !== undefined && `--pings-per-hour ${values["pings-per-hour"]}`,
].filter(Boolean);
const repeats = Number(values.repeats ?? (quick ? 2 : 3));
const compression = Number(values.compression);
const seed = Number(values.seed);
const pingsPerHour = Number(values["pings-per-hour"] ?? defaultConfig.limits.warmPingsPerHour);
for (
  const [name, value, min] of [
    ["repeats", repeats, 1],
    ["compression", compression, 1],
    ["seed", seed, 0],
    ["pings-per-hour", pingsPerHour, 0],
  ] as const
) {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} must be a whole number >= ${min}: got ${value}`);
  }
}

// A weekday from 06:00 UTC on (Tokyo's session fading, London opening at 07:00), around an upstream outage.
const worldOptions: WorldOptions = {
  seed,
  scale: parseScale(values.scale ?? (quick ? "small" : "medium")),
  variant: parseVariant(values.variant),
  dayIso: "2025-03-04T00:00:00.000Z",
  measuredMs: (quick ? 20 : 60) * MINUTE_MS,
  discoveryMs: (quick ? 15 : 60) * MINUTE_MS,
  notBeforeMs: 6 * HOUR_MS,
  peakRequestsPerMinute: 30,
};
const measuredSeconds = worldOptions.measuredMs / compression / 1000;
/**
 * The maxDurationMs of the system-wide run against a slow database: with every round trip 100 ms longer,
 * reading the candidates takes about 5 s of it, leaving time for some of the builds the run plans, not all.
 */
const systemDeadlineMs = 8_000;
const discoverySeconds = worldOptions.discoveryMs / compression / 1000;
const scenarioNames = scenarioSpecs(compression, []).map((s) => s.name);

const progress = createProgress([
  { name: "stack", expectedSeconds: 5 },
  { name: "reference data", expectedSeconds: quick ? 3 : 20 },
  { name: "peer discovery", expectedSeconds: discoverySeconds + 10 },
  {
    name: "scenarios",
    expectedSeconds: repeats * scenarioNames.length * (measuredSeconds + (quick ? 3 : 12)),
  },
  { name: "reliability", expectedSeconds: repeats * 2 * (measuredSeconds + (quick ? 3 : 12)) },
  { name: "system run", expectedSeconds: 15 },
  { name: "simulation", expectedSeconds: 15 },
  { name: "suite costs", expectedSeconds: values["skip-suite-costs"] ? 0 : quick ? 60 : 240 },
  { name: "report", expectedSeconds: 1 },
]);

progress.phase("stack");
const lease = await leaseStack();
const project = await projectFunctionsConfig();
const machine =
  `${navigator.hardwareConcurrency} cores, ${Deno.build.os} ${Deno.build.arch}, Deno ${Deno.version.deno}`;
let world: Awaited<ReturnType<typeof prepareWorld>> | null = null;
try {
  progress.phase("reference data");
  world = await prepareWorld(lease.env, worldOptions);
  await world.sql`create extension if not exists pg_prewarm with schema extensions`;

  progress.phase("peer discovery");
  // A developer watches the app for a while, then asks for advice: that traffic is not the measured window.
  // The suite reads its workload between two statement snapshots, and judges an index unused from the times
  // its scan count was noted; its pg_cron jobs do both every 5 minutes, longer than the whole discovery
  // replay, so the harness runs the jobs' own commands where they matter: a snapshot and a note of index usage
  // as the traffic starts, a snapshot as it ends, and a note again just before the refresh.
  const snapshot = () => world!.sql`select optimizer.take_db_snapshot()`;
  const noteIndexUsage = () => world!.sql`select optimizer.observe_index_usage()`;
  let discoveryStart = new Date();
  const discoveryRun = await runScenario(world, world.discovery, baselineSpec(), 0, {
    compression,
    indexSets: {},
    onIsolated: async () => {
      discoveryStart = new Date();
      await snapshot();
      await noteIndexUsage();
    },
  });
  await snapshot();
  const advice: PeerAdvice = await adviseLikeADeveloper(lease.env.SUPABASE_DB_URL, world.sql);
  const perQuery: PerQueryAdvice = await advisePerQuery(world.sql);
  const recommendations = recommendationsFeature(lease.env);
  await noteIndexUsage();
  // The discovery traffic holds every query shape of the app (the trace generator's), so, like a developer
  // who load-tested the whole app, the harness tells the suite that an index unscanned for as long as that
  // replay took is unused.
  await recommendations.discover(discoveryStart, { unusedIndexMinDays: discoverySeconds / 86_400 });
  const advisorsCoverage = coverLints(
    (advice.cli[0].output as { results?: Lint[] }).results ?? [],
    recommendations.report.findings,
    recommendations.rejections,
    dbHealthDefaults.excludedSchemas,
  );
  const indexSets = { [indexSetNames.developer]: advice.indexes, [indexSetNames.perQuery]: perQuery.indexes };

  progress.phase("scenarios");
  const warmer = warmerFeature(lease.env, {
    appFunctions,
    priority: "performance",
    pingsPerHour,
    functionsConfigPath: project.path,
  });
  const specs = scenarioSpecs(compression, [
    recommendations,
    warmer,
    sharedCacheFeature(compression, values["with-shared-cache"] ? {} : { targets: ["market-data.quote"] }),
    resilienceFeature(compression),
  ]);
  const slowDatabase = slowDatabaseFor(world.measured);
  // every scenario on the replay's clock, so that the warmer reads the earlier runs' traffic as it came
  const { runs, reliabilityRuns } = await onReplayClock(lease.env.SUPABASE_DB_URL, compression, async () => {
    const runOptions = { compression, indexSets, onProgress: (text: string) => progress.detail(text) };
    const runs = await runInterleaved(world!, world!.measured, specs, repeats, runOptions);
    progress.phase("reliability");
    const reliabilityRuns = await runInterleaved(
      world!,
      world!.measured,
      specs.filter((s) => s.name === "baseline" || s.name === "optimized"),
      repeats,
      { ...runOptions, slowDatabase },
    );
    return { runs, reliabilityRuns };
  });
  const comparison = compareRuns(runs, scenarioNames, ["baseline", ...peerScenarioNames]);
  const reliabilityComparison = compareRuns(reliabilityRuns, ["baseline", "optimized"], ["baseline"]);
  const reliability = {
    slowDatabase,
    runs: reliabilityRuns,
    comparison: reliabilityComparison,
    targets: checkReliabilityTargets(reliabilityComparison, reliabilityRuns),
  };
  progress.phase("system run");
  // the runs before the `optimized` repeats, in order, then those before the reliability phase's
  const systemRuns = recommendations.report.systemRuns.slice(0, repeats);
  const systemDeadline = await checkSystemDeadline(lease.env, {
    delayMs: reliabilitySettings.slowDatabaseDelayMs,
    maxDurationMs: systemDeadlineMs,
    targetGainPercent: systemRunRequest.targetGainPercent,
  });
  const gains = gainPairs(systemRuns, comparison.ratios["optimized / baseline"]["app DB time"]);
  const systemRun = {
    runs: systemRuns,
    deadline: systemDeadline,
    gains,
    targets: checkSystemTargets(systemRuns, systemDeadline),
  };
  const targets = checkIndexTargets(comparison, recommendations.report, advisorsCoverage, {
    variant: worldOptions.variant,
    runs,
    discoveryRun,
  });

  progress.phase("simulation");
  const baselineRuns = runs.filter((r) => r.scenario === "baseline");
  const coldMs = median(
    baselineRuns.map((r) => r.figures.medianLatencyMs.cold).filter((v): v is number => v !== null),
  );
  const warmMs = median(
    baselineRuns.map((r) => r.figures.medianLatencyMs.warm).filter((v): v is number => v !== null),
  );
  const longTrace = generateTrace({
    seed,
    startIso: "2025-03-03T00:00:00.000Z",
    durationMs: 14 * DAY_MS,
    robotsPerUser: world.robotsByUser.map((ids) => ids.length),
    peakRequestsPerMinute: worldOptions.peakRequestsPerMinute,
  });
  const simulationInputs = {
    coldStartMs: Math.max(1, Math.round((coldMs ?? 0) - (warmMs ?? 0))),
    warmLatencyMs: Math.max(1, Math.round(warmMs ?? 1)),
    requests: longTrace.requests.length,
    days: 14,
  };
  const simulation = simulate({
    trace: longTrace,
    coldStartMs: simulationInputs.coldStartMs,
    warmLatencyMs: simulationInputs.warmLatencyMs,
  });
  // what no warmer can beat in the measured window, at the replay's compression and in real time, with the
  // app's boots as long as the gateway measured them in the baseline runs
  const boots = baselineRuns.flatMap((r) => appFunctions.map((fn) => r.figures.counters.workerBootTimes[fn]))
    .filter((b) => b !== undefined);
  const bootMs = boots.reduce((sum, b) => sum + b.totalMs, 0) / boots.reduce((sum, b) => sum + b.ready, 0);
  const { requests: measuredRequests, durationMs: measuredMs } = world.measured;
  // no boot in any baseline run (none measured) leaves nothing to bound
  const warmingFloors: WarmingFloorAt[] = !(bootMs > 0) ? [] : [...new Set([compression, 1])].map((c) => ({
    compression: c,
    bootMs,
    rows: warmingFloor({ requests: measuredRequests, durationMs: measuredMs, bootMs, compression: c }),
  }));

  const bootFloor = warmingFloors.find((f) => f.compression === compression)?.rows
    .find((r) => r.fn === "all functions") ?? null;
  // the quote reads a read-through cache fresh for the peers' minute would have to send to the quote service
  const quoteFloor = readThroughFloor({
    requests: measuredRequests,
    endpoint: "market.quote",
    freshMs: peerCache.ttlTraceMs,
    durationMs: measuredMs,
  });

  let suiteCosts: SuiteCosts | null = null;
  if (!values["skip-suite-costs"]) {
    progress.phase("suite costs");
    suiteCosts = await measureSuiteCosts({
      ...(quick ? suiteCostQuick : {}),
      onPhase: (text) => progress.detail(text),
    });
  }

  progress.phase("report");
  const result = {
    measuredAt: new Date().toISOString(),
    command: `npm run bench${flags.length === 0 ? "" : ` -- ${flags.join(" ")}`}`,
    machine,
    options: { quick, repeats, compression, seed, world: worldOptions },
    windows: world.windows,
    load: world.load,
    trace: {
      measuredRequests: world.measured.requests.length,
      measuredOutages: world.measured.outages,
      discoveryRequests: world.discovery.requests.length,
    },
    scenarios: specs.map(({ name, description }) => ({ name, description })),
    peers: advice,
    perQuery,
    recommendations: recommendations.report,
    warmer: warmer.activity,
    advisorsCoverage,
    overallTargets: checkOverallTargets(comparison, runs, {
      boots: bootFloor,
      quotes: { floor: quoteFloor, serviceLatency: defaultLatencyMs },
    }),
    targets,
    runs,
    comparison,
    reliability,
    systemRun,
    simulationInputs,
    simulation,
    warmingFloors,
    suiteCosts,
  };
  const markdown = renderMarkdown(result);
  await Deno.mkdir(values.out, { recursive: true });
  const stamp = result.measuredAt.replace(/[:.]/g, "-");
  for (const name of [`bench-${stamp}`, "latest"]) {
    await Deno.writeTextFile(`${values.out}/${name}.json`, JSON.stringify(result, null, 2) + "\n");
    await Deno.writeTextFile(`${values.out}/${name}.md`, markdown);
  }
  progress.finish();
  console.log(markdown);
  console.log(`\nWritten: ${values.out}/latest.json and ${values.out}/latest.md`);
} finally {
  await world?.sql.end();
  await project.remove();
  await lease.release();
}

function renderMarkdown(result: {
  measuredAt: string;
  command: string;
  machine: string;
  options: { repeats: number; compression: number; world: WorldOptions };
  windows: Windows;
  load: { counts: Record<string, number>; ms: number };
  trace: { measuredRequests: number; discoveryRequests: number; measuredOutages: unknown[] };
  scenarios: { name: string; description: string }[];
  peers: PeerAdvice;
  perQuery: PerQueryAdvice;
  recommendations: RecommendationsReport;
  warmer: WarmerActivity[];
  advisorsCoverage: LintCoverage[];
  /** The target of `optimized` as a whole (overall_targets.ts). */
  overallTargets: TargetCheck[];
  targets: TargetCheck[];
  runs: ScenarioRun[];
  comparison: ReturnType<typeof compareRuns>;
  reliability: {
    slowDatabase: SlowDatabase;
    runs: ScenarioRun[];
    comparison: ReturnType<typeof compareRuns>;
    targets: TargetCheck[];
  };
  systemRun: SystemRunSection;
  simulationInputs: { coldStartMs: number; warmLatencyMs: number; requests: number; days: number };
  simulation: ReturnType<typeof simulate>;
  warmingFloors: WarmingFloorAt[];
  suiteCosts: SuiteCosts | null;
}): string {
  const w = result.options.world;
  const window = (range: { fromMs: number; toMs: number }) =>
    `${new Date(Date.parse(w.dayIso) + range.fromMs).toISOString().slice(11, 16)}–${
      new Date(Date.parse(w.dayIso) + range.toMs).toISOString().slice(11, 16)
    } UTC`;
  const lines = [
    `# Benchmark: the suite against what users would do instead`,
    "",
    `Measured ${result.measuredAt} with \`${result.command}\` on ${result.machine}.`,
    "",
    `- Data: QuantForge reference app, scale ${w.scale} (${
      Object.entries(result.load.counts).map(([k, v]) => `${v.toLocaleString("en")} ${k}`).join(", ")
    }), variant ${w.variant}, seed ${w.seed}.`,
    `- Trace: ${window(result.windows.measured)} of a seeded weekday (${
      result.trace.measuredRequests.toLocaleString("en")
    } requests, ` +
    `${result.trace.measuredOutages.length} upstream outage window(s)), replayed open-loop at ${result.options.compression}x ` +
    `(worker idle timeout and lifetime compressed alike), ${result.options.repeats} interleaved repeats per scenario.`,
    `- Scenarios:`,
    ...result.scenarios.map((s) => `  - \`${s.name}\`: ${s.description}`),
    "",
    comparisonMarkdown(result.comparison),
    "",
    `## The warmer in \`optimized\` (on the suite's clock, ${result.options.compression}x)`,
    "",
    "The warmer's own record of each `optimized` run, in its measured window (optimizer.runs, optimizer.warm_pings):",
    "",
    ...warmerActivityMarkdown(result.warmer),
    "",
    ...warmingFloorMarkdown(result.warmingFloors),
    ...reliabilityMarkdown(result.reliability, result.trace.measuredOutages as Outage[]),
    ...systemRunMarkdown(result.systemRun),
    "## The target of `optimized` as a whole (bench/harness/overall_targets.ts)",
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...result.overallTargets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "yes" : "no"} |`),
    "",
    "## Targets of the index recommendations (bench/harness/index_targets.ts)",
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...result.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "yes" : "no"} |`),
    "",
    "## Where the app's DB time went (bench/harness/statement_times.ts)",
    "",
    `The ${heaviestShown} statements that took the most time in \`optimized\`, as pg_stat_statements normalizes ` +
    "them: execution time and calls over each run's measured window, median over repeats (0 in a repeat where " +
    "the statement did not run).",
    "",
    ...statementTimesMarkdown(
      heaviestStatements(result.runs, result.scenarios.map((s) => s.name), "optimized", heaviestShown),
      result.scenarios.map((s) => s.name),
    ),
    "",
    `## What the peers' developer got from the CLI`,
    "",
    `Discovery traffic: ${
      window(result.windows.discovery)
    } of the same day (${result.trace.discoveryRequests} requests), then:`,
    "",
    ...result.peers.cli.map((c) => `- \`${c.command}\``),
    "",
    "Indexes created for the peers:",
    "",
    ...bullets(result.peers.indexes, (i) => `\`${i.statement}\` (${i.reason})`),
    "",
    "Left alone:",
    "",
    ...result.peers.rejected.map((r) => `- ${r.subject}: ${r.reason}`),
    "",
    "## Per-query advice (`peers-per-query`)",
    "",
    `index_advisor's method over the ${result.perQuery.statements} heaviest statements of the discovery window ` +
    "(bench/harness/per_query_indexes.ts). Indexes created:",
    "",
    ...bullets(result.perQuery.indexes, (i) => `\`${i.statement}\` (${i.reason})`),
    "",
    "Statements without an index:",
    "",
    ...result.perQuery.rejected.map((r) => `- ${r.subject}: ${r.reason}`),
    "",
    ...recommendationsMarkdown(result.recommendations),
    "",
    "Each performance lint of `supabase db advisors` (above) against the suite's findings and recorded " +
    "rejections (bench/harness/advisors_coverage.ts):",
    "",
    "| lint | table | suite rule | outcome | finding or reason |",
    "| --- | --- | --- | --- | --- |",
    ...result.advisorsCoverage.map((c) =>
      `| ${c.lint} | ${c.table} | ${c.rule ?? "–"} | ${c.outcome} | ${c.detail.replace(/\|/g, "\\|")} |`
    ),
    "",
    `## Simulation: 14 days in virtual time`,
    "",
    `${
      result.simulationInputs.requests.toLocaleString("en")
    } requests over ${result.simulationInputs.days} days of the same ` +
    `generator; cold start ${result.simulationInputs.coldStartMs} ms and warm latency ${result.simulationInputs.warmLatencyMs} ms ` +
    `as measured in the baseline runs above (median cold minus median warm).`,
    "",
    toMarkdown(result.simulation),
  ];
  if (result.suiteCosts) {
    lines.push("", "## What the suite itself costs", "", suiteCostsMarkdown(result.suiteCosts));
  }
  return lines.join("\n") + "\n";
}

/** The reliability scenario's section: what was injected, the two scenarios side by side, the targets. */
function reliabilityMarkdown(
  reliability: {
    slowDatabase: SlowDatabase;
    comparison: ReturnType<typeof compareRuns>;
    targets: TargetCheck[];
  },
  outages: Outage[],
): string[] {
  const minutes = (ms: number) => (ms / MINUTE_MS).toFixed(1);
  const windows = (list: Outage[]) =>
    list.map((w) => `${minutes(w.startMs)}–${minutes(w.endMs)}`).join(", ") || "none";
  return [
    "## Reliability: an upstream outage and a slow database (bench/harness/reliability.ts)",
    "",
    `The same window again, \`baseline\` against \`optimized\`: the quote service down at minutes ${
      windows(outages)
    } of the window, and every statement of the functions ${reliability.slowDatabase.delayMs} ms slower at ` +
    `minutes ${
      windows(reliability.slowDatabase.windows)
    } (a TCP proxy between the functions and Postgres). ` +
    `Stand-in answers: a quote answered from its expired cache entry (stale-if-error) or the newest stored bar.`,
    "",
    comparisonMarkdown(reliability.comparison),
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...reliability.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "yes" : "no"} |`),
    "",
  ];
}

/** What the report says of the system-wide runs. */
interface SystemRunSection {
  /** The runs before the `optimized` repeats, in order. */
  runs: SystemRunReport[];
  /** The run against a slow database. */
  deadline: SystemDeadlineCheck;
  /** Each repeat's estimate beside its measured gain. */
  gains: GainPair[];
  targets: TargetCheck[];
}

/** The system-wide runs' section: each run before an `optimized` repeat, the estimate against the measure. */
function systemRunMarkdown(system: SystemRunSection): string[] {
  const request =
    `{ priority: "${systemRunRequest.priority}", targetGainPercent: ${systemRunRequest.targetGainPercent}, ` +
    `maxDurationMs: ${systemRunRequest.maxDurationMs} }`;
  return [
    "## The system-wide run before each `optimized` repeat (`POST /optimize-system`)",
    "",
    `Asked for \`${request}\` after the developer's reviewed drops; estimated gain in percent of the ` +
    "discovery window's app DB time, measured gain 1 − the repeat's app DB time ratio (optimized / baseline). " +
    "The suite's checks (`POST /optimize-system/verify` after the replay): each build's saving measured per call " +
    "on the statements it serves, in the estimate's terms (ms over the discovery window), against the estimate.",
    "",
    "| repeat | run | time (ms) | applied | estimated gain | measured gain | the suite's checks | target |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...system.runs.map((run, repeat) => {
      const gain = system.gains.find((g) => g.repeat === repeat);
      return `| ${repeat} | ${run.runId} | ${run.executionTimeMs} | ${
        run.applied.map((a) => a.subject).join(", ")
      } | ` +
        `${run.estimatedGainPercent} % | ${gain ? `${gain.measuredPercent} %` : "–"} | ${checksText(run)} | ${
          targetText(run, "–")
        } |`;
    }),
    "",
    "Left out of the first run's plan:",
    "",
    ...bullets(
      system.runs[0]?.rejected ?? [],
      (r) =>
        `\`${r.rule}\` (${
          r.findingId === null ? "a buffer load" : `finding ${r.findingId}`
        }, ${r.step}): ${r.reason}`,
    ),
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...system.targets.map((t) =>
      `| ${t.target} | ${t.measured.replace(/\|/g, "\\|")} | ${t.met ? "yes" : "no"} |`
    ),
    "",
  ];
}

/** The suite's checks of a run's actions: verdict, measured against estimated saving, relative error. */
function checksText(run: SystemRunReport): string {
  return run.checks.map((c) =>
    `${c.verdict}${c.rolledBack ? " (rolled back)" : ""}: ${
      c.measured?.value ?? "–"
    } of ${c.estimate.value} ms` +
    (c.relativeError === null ? "" : `, error ${Math.round(c.relativeError * 100)} %`)
  ).join("; ") || "–";
}

/** A markdown list of `items`, one `- ` line each, or `- none`. */
function bullets<T>(items: T[], line: (item: T) => string): string[] {
  return items.length === 0 ? ["- none"] : items.map((item) => `- ${line(item)}`);
}

/** What the suite's recommendations found over the discovery window and what its indexes did in the runs. */
function recommendationsMarkdown(report: RecommendationsReport): string[] {
  const refresh = report.refresh;
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return [
    "## The suite's recommendations (`optimized`)",
    "",
    refresh
      ? `\`POST /functions/v1/recommendations/refresh?since=…\` over ${refresh.window?.from ?? "?"} – ` +
        `${refresh.window?.to ?? "?"} (run ${refresh.runId}):`
      : "No refresh ran.",
    "",
    "| analyzer | status | time (ms) | findings | candidates rejected |",
    "| --- | --- | --- | --- | --- |",
    ...(refresh?.analyzers ?? []).map((a) =>
      `| ${a.name} | ${a.status} | ${a.durationMs} | ${a.findings} | ${a.rejected} |`
    ),
    "",
    "Index suggestions, with the advisor's estimate and what each index did in the runs the system-wide run " +
    "built it for (scans during the replay, per run; none when no run built it):",
    "",
    ...bullets(
      report.indexes,
      (i) =>
        `\`${i.statement}\`: estimated saving ${i.gain?.value ?? "–"} ${i.gain?.unit ?? ""}; ` +
        `scans ${i.runs.map((r) => r.scans).join(", ")}; size ${
          i.runs.map((r) => mb(r.bytes)).join(", ")
        } MB`,
    ),
    "",
    "Indexes the developer dropped, after review, before every `optimized` run (and built again after it), " +
    "with the finding that proposed each:",
    "",
    ...bullets(report.drops, (d) => `\`${d.statement}\` (\`${d.rule}\`: ${d.title})`),
    "",
    "Every open finding after the refresh:",
    "",
    ...report.findings.map((f) => `- \`${f.rule}\` (${f.severity}): ${f.title}`),
  ];
}
