/**
 * The simulation's entry point: warming and caching policies over one long trace in virtual time, each beside
 * its physical limit (the oracle warmer, Belady's MIN), with cold-start and latency figures measured on the
 * real stack passed in. Pure: the trace in, a JSON-able result out; `toMarkdown()` renders it.
 *
 * The baseline (`none`) and the limits (`oracle`, `belady-min`) always run; the policies to compare are open
 * lists of objects, so the suite's own policies plug in beside the peers' without changes here.
 */
import {
  beladyMin,
  type CachePolicy,
  type CacheStats,
  lru,
  lruTtl,
  sharedTier,
  simulateCache,
} from "./cache.ts";
import { CacheOpsBuilder, type CacheRequest } from "./cache_ops.ts";
import {
  addWarmingCounts,
  emptyWarmingCounts,
  simulateFunctionWarming,
  type WarmingCounts,
} from "./warming.ts";
import { noWarming, oracle } from "./warming_policies.ts";
import { fixedInterval } from "../../shared/warm/fixed_interval.ts";
import { histogramPolicy } from "../../shared/warm/histogram_policy.ts";
import { plannerPolicy } from "../../shared/warm/planner_policy.ts";
import { warmerPolicy } from "../../shared/warm/warmer_policy.ts";
import type { WarmingPolicy } from "../../shared/warm/policy.ts";
import { forecastAccuracy, forecastAccuracyMarkdown, type ForecastAccuracyRow } from "./forecast_accuracy.ts";
import { table } from "./markdown.ts";
import { resolveWorkerOptions, type WorkerOptions } from "../../shared/warm/worker_model.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";

/** The fields of a trace request (bench/trace TraceRequest) the simulation reads. */
export type SimRequest = CacheRequest;

export interface SimulationOptions {
  /** A whole trace; its durationMs ends the simulated time. */
  trace?: { durationMs: number; requests: Iterable<SimRequest> };
  /** Or the requests alone, for example a generator that streams a long trace. */
  requests?: Iterable<SimRequest>;
  /** End of simulated time with `requests`; defaults to the last request's time. */
  durationMs?: number;
  /** A cold start's added latency, as measured on the real stack. */
  coldStartMs: number;
  /** A warm request's latency, as measured on the real stack. */
  warmLatencyMs: number;
  worker?: Partial<WorkerOptions>;
  /** Policies compared with `none` and `oracle` (which always run). */
  warmingPolicies?: WarmingPolicy[];
  /** Policies compared with `belady-min` (which always runs). */
  cachePolicies?: CachePolicy[];
  cacheCapacities?: number[];
  /** TTL of the default lru+ttl policy. */
  ttlMs?: number;
}

export const simulationDefaults = {
  warmingPolicies: (): WarmingPolicy[] => [
    fixedInterval(5 * MINUTE_MS),
    fixedInterval(MINUTE_MS),
    histogramPolicy(),
    plannerPolicy({ priority: "cost" }),
    plannerPolicy({ priority: "reliability" }),
    plannerPolicy({ priority: "performance" }),
    warmerPolicy("cost"),
    warmerPolicy("reliability"),
    warmerPolicy("performance"),
  ],
  cachePolicies: (ttlMs: number): CachePolicy[] => [lru(), lruTtl(ttlMs), sharedTier()],
  cacheCapacities: [64, 256, 1024, 4096],
  ttlMs: MINUTE_MS,
};

export interface WarmingFigures extends WarmingCounts {
  coldStartFraction: number;
  /** Cold starts of `none` minus this policy's. */
  avoidedVsNone: number;
  /** pings / avoidedVsNone; null when nothing was avoided. */
  pingsPerAvoided: number | null;
  /** Mean user latency: warmLatencyMs plus the added latency spread over all requests. */
  meanLatencyMs: number;
  /** This policy's cold starts minus the oracle's. */
  coldStartsAboveOracle: number;
  /** avoidedVsNone / the oracle's avoidedVsNone; null when the oracle avoided none. */
  shareOfOracleAvoided: number | null;
}

export interface WarmingRow {
  policy: string;
  description: string;
  overall: WarmingFigures;
  perFunction: Record<string, WarmingFigures>;
}

export interface CacheRow extends CacheStats {
  /** hitRate / MIN's hitRate at the same capacity; null when MIN has no hits. */
  fractionOfMin: number | null;
}

export interface SimulationResult {
  assumptions: string[];
  input: {
    requests: number;
    functions: string[];
    durationMs: number;
    cacheableReads: number;
    writes: number;
  };
  parameters: {
    coldStartMs: number;
    warmLatencyMs: number;
    worker: WorkerOptions;
    cacheCapacities: number[];
    ttlMs: number;
  };
  warming: { baseline: string; limit: string; rows: WarmingRow[] };
  caching: {
    limit: string;
    reads: number;
    compulsoryMisses: number;
    /** Hit rate of an infinite cache: every miss compulsory. */
    infiniteCacheHitRate: number;
    policies: { name: string; description: string }[];
    rows: CacheRow[];
  };
  /** The forecaster's accuracy on each function's requests per minute (bench/sim/forecast_accuracy.ts). */
  forecasting: ForecastAccuracyRow[];
}

function finiteAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new Error(`${name} must be a finite number >= ${min}: got ${value}`);
  }
  return value;
}

function uniqueNames(kind: string, names: string[], reserved: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== "string" || name === "") {
      throw new Error(`every ${kind} policy needs a non-empty name`);
    }
    if (reserved.includes(name)) {
      throw new Error(`${kind} policy name "${name}" is reserved for the built-in one`);
    }
    if (seen.has(name)) throw new Error(`${kind} policy names must be unique: "${name}" appears twice`);
    seen.add(name);
  }
}

interface ResolvedOptions {
  requests: Iterable<SimRequest>;
  durationMs: number | undefined;
  coldStartMs: number;
  warmLatencyMs: number;
  worker: WorkerOptions;
  warmingPolicies: WarmingPolicy[];
  cachePolicies: CachePolicy[];
  cacheCapacities: number[];
  ttlMs: number;
}

export function resolveSimulationOptions(options: SimulationOptions): ResolvedOptions {
  if ((options.trace === undefined) === (options.requests === undefined)) {
    throw new Error(
      "simulate() needs either `trace` or `requests` (an iterable of requests), not both or neither",
    );
  }
  if (options.trace !== undefined && options.durationMs !== undefined) {
    throw new Error("durationMs comes from the trace: pass it only with `requests`");
  }
  const durationMs = options.trace !== undefined ? options.trace.durationMs : options.durationMs;
  if (durationMs !== undefined) finiteAtLeast("durationMs", durationMs, 0);
  const coldStartMs = finiteAtLeast("coldStartMs", options.coldStartMs, 0);
  const warmLatencyMs = finiteAtLeast("warmLatencyMs", options.warmLatencyMs, 0);
  const worker = resolveWorkerOptions(options.worker);
  if (coldStartMs >= worker.idleTimeoutMs || coldStartMs >= worker.maxLifetimeMs) {
    throw new Error(
      `coldStartMs (${coldStartMs}) must be shorter than worker.idleTimeoutMs (${worker.idleTimeoutMs}) and ` +
        `worker.maxLifetimeMs (${worker.maxLifetimeMs}): pass the measured boot time in milliseconds`,
    );
  }
  const ttlMs = finiteAtLeast("ttlMs", options.ttlMs ?? simulationDefaults.ttlMs, 1);
  const cacheCapacities = options.cacheCapacities ?? simulationDefaults.cacheCapacities;
  if (cacheCapacities.length === 0) {
    throw new Error("cacheCapacities must list at least one capacity, e.g. [256]");
  }
  for (const capacity of cacheCapacities) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`cacheCapacities must be integers >= 1 (entries): got ${capacity}`);
    }
  }
  const warmingPolicies = options.warmingPolicies ?? simulationDefaults.warmingPolicies();
  uniqueNames("warming", warmingPolicies.map((p) => p.name), ["none", "oracle"]);
  const cachePolicies = options.cachePolicies ?? simulationDefaults.cachePolicies(ttlMs);
  uniqueNames("cache", cachePolicies.map((p) => p.name), ["belady-min"]);
  return {
    requests: options.trace?.requests ?? options.requests!,
    durationMs,
    coldStartMs,
    warmLatencyMs,
    worker,
    warmingPolicies,
    cachePolicies,
    cacheCapacities: [...cacheCapacities],
    ttlMs,
  };
}

function figures(
  counts: WarmingCounts,
  none: WarmingCounts,
  best: WarmingCounts,
  warmLatencyMs: number,
): WarmingFigures {
  const avoidedVsNone = none.coldStarts - counts.coldStarts;
  const oracleAvoided = none.coldStarts - best.coldStarts;
  return {
    ...counts,
    coldStartFraction: counts.requests === 0 ? 0 : counts.coldStarts / counts.requests,
    avoidedVsNone,
    pingsPerAvoided: avoidedVsNone > 0 ? counts.pings / avoidedVsNone : null,
    meanLatencyMs: warmLatencyMs + (counts.requests === 0 ? 0 : counts.addedLatencyMs / counts.requests),
    coldStartsAboveOracle: counts.coldStarts - best.coldStarts,
    shareOfOracleAvoided: oracleAvoided > 0 ? avoidedVsNone / oracleAvoided : null,
  };
}

/**
 * The forecasts are scored on this many of the busiest functions: as many as the predictive refresh forecasts
 * (refreshForecasts' maxTargets), and a bound on the cost of an outside trace with thousands of functions.
 */
const forecastFunctions = 8;

function busiest(timesByFunction: Map<string, number[]>, count: number): Map<string, number[]> {
  return new Map([...timesByFunction].sort((a, b) => b[1].length - a[1].length).slice(0, count));
}

export function simulate(options: SimulationOptions): SimulationResult {
  const o = resolveSimulationOptions(options);
  const timesByFunction = new Map<string, number[]>();
  const cacheOps = new CacheOpsBuilder();
  let count = 0;
  let lastAtMs = 0;
  for (const request of o.requests) {
    if (!Number.isFinite(request.atMs) || request.atMs < lastAtMs) {
      throw new Error(
        `requests must be sorted by atMs, from 0: request ${count} at ${request.atMs} comes after ${lastAtMs}`,
      );
    }
    lastAtMs = request.atMs;
    count++;
    let times = timesByFunction.get(request.fn);
    if (!times) timesByFunction.set(request.fn, times = []);
    times.push(request.atMs);
    cacheOps.add(request);
  }
  const durationMs = o.durationMs ?? lastAtMs;
  if (lastAtMs > durationMs) {
    throw new Error(`a request at ${lastAtMs} ms lies beyond the trace's durationMs (${durationMs})`);
  }
  const functions = [...timesByFunction.keys()].sort();

  const warmingRuns = [noWarming(), ...o.warmingPolicies, oracle()].map((policy) => {
    const perFunction = new Map<string, WarmingCounts>();
    for (const fn of functions) {
      perFunction.set(
        fn,
        simulateFunctionWarming({
          fn,
          requestTimes: timesByFunction.get(fn)!,
          endMs: durationMs,
          coldStartMs: o.coldStartMs,
          workerOptions: o.worker,
        }, policy),
      );
    }
    const overall = [...perFunction.values()].reduce(addWarmingCounts, emptyWarmingCounts());
    return { policy, overall, perFunction };
  });
  const none = warmingRuns[0];
  const best = warmingRuns[warmingRuns.length - 1];
  const rows: WarmingRow[] = warmingRuns.map((run) => ({
    policy: run.policy.name,
    description: run.policy.description,
    overall: figures(run.overall, none.overall, best.overall, o.warmLatencyMs),
    perFunction: Object.fromEntries(functions.map((fn) => [
      fn,
      figures(
        run.perFunction.get(fn)!,
        none.perFunction.get(fn)!,
        best.perFunction.get(fn)!,
        o.warmLatencyMs,
      ),
    ])),
  }));

  const ops = cacheOps.build();
  const limit = beladyMin();
  const cacheRows: CacheRow[] = [];
  for (const capacity of o.cacheCapacities) {
    const min = simulateCache(ops, limit, capacity);
    for (const policy of o.cachePolicies) {
      const stats = simulateCache(ops, policy, capacity);
      cacheRows.push({ ...stats, fractionOfMin: min.hits > 0 ? stats.hitRate / min.hitRate : null });
    }
    cacheRows.push({ ...min, fractionOfMin: min.hits > 0 ? 1 : null });
  }

  return {
    assumptions: [
      `One worker per function (as the local gateway runs them); it is retired ${
        o.worker.idleTimeoutMs / 1000
      } s ` +
      `after its last request or ping, or ${o.worker.maxLifetimeMs / 1000} s after its boot however busy. ` +
      "Concurrent requests share that worker; a second worker is never booted.",
      "Requests take no service time. A boot changes the state at once; its cost is charged as latency: " +
      `${o.coldStartMs} ms to a request that finds no live worker (a cold start), the rest of the boot to one ` +
      "arriving while a boot is in progress (a boot wait). A ping that boots a worker waits for it, unseen by users.",
      "A ping cannot extend a worker's lifetime: when it ends, the next request or ping boots a successor.",
      "Warming policies see the function's past requests, their own pings and the worker's state; only the oracle " +
      "(clairvoyant) sees future requests.",
      "Cache items are keys of reads with a non-empty key. A write by a user invalidates the keys that user read " +
      "through robots or robot-chat since their previous write (market-data keys are never invalidated); the " +
      "key's next read is a compulsory miss, for MIN too. All caches drop invalidated entries.",
      "Belady's MIN may bypass the cache and has no TTL: it may serve entries a TTL would have expired to avoid " +
      "stale reads, so lru+ttl may trail it for that reason as well as for its evictions.",
    ],
    input: {
      requests: count,
      functions,
      durationMs,
      cacheableReads: ops.reads,
      writes: ops.writes,
    },
    parameters: {
      coldStartMs: o.coldStartMs,
      warmLatencyMs: o.warmLatencyMs,
      worker: o.worker,
      cacheCapacities: o.cacheCapacities,
      ttlMs: o.ttlMs,
    },
    warming: { baseline: "none", limit: "oracle", rows },
    caching: {
      limit: limit.name,
      reads: ops.reads,
      compulsoryMisses: ops.compulsoryMisses,
      infiniteCacheHitRate: ops.reads === 0 ? 0 : 1 - ops.compulsoryMisses / ops.reads,
      policies: [...o.cachePolicies, limit].map((p) => ({ name: p.name, description: p.description })),
      rows: cacheRows,
    },
    forecasting: forecastAccuracy(busiest(timesByFunction, forecastFunctions), durationMs),
  };
}

function percent(value: number | null): string {
  return value === null ? "n/a" : `${(value * 100).toFixed(1)} %`;
}

function decimal(value: number | null, digits = 1): string {
  return value === null ? "n/a" : value.toFixed(digits);
}

function warmingCells(policy: string, f: WarmingFigures): string[] {
  return [
    policy,
    String(f.requests),
    String(f.coldStarts),
    percent(f.coldStartFraction),
    String(f.avoidedVsNone),
    String(f.pings),
    decimal(f.pingsPerAvoided, 2),
    String(f.bootWaits),
    `${(f.addedLatencyMs / 1000).toFixed(1)} s`,
    `${f.meanLatencyMs.toFixed(2)} ms`,
    String(f.coldStartsAboveOracle),
    percent(f.shareOfOracleAvoided),
  ];
}

const warmingHeader = [
  "policy",
  "requests",
  "cold starts",
  "cold %",
  "avoided vs none",
  "pings",
  "pings / avoided",
  "boot waits",
  "added latency",
  "mean latency",
  "above oracle",
  "share of oracle's avoided",
];

export function toMarkdown(result: SimulationResult): string {
  const days = result.input.durationMs / DAY_MS;
  const sections = [
    `### Simulation: ${result.input.requests} requests over ${days.toFixed(1)} days ` +
    `(cold start ${result.parameters.coldStartMs} ms, warm ${result.parameters.warmLatencyMs} ms)`,
    result.assumptions.map((a) => `- ${a}`).join("\n"),
    "#### Warming, all functions",
    table(warmingHeader, result.warming.rows.map((row) => warmingCells(row.policy, row.overall))),
    result.warming.rows.map((row) => `- \`${row.policy}\`: ${row.description}`).join("\n"),
  ];
  for (const fn of result.input.functions) {
    sections.push(
      `#### Warming, \`${fn}\``,
      table(warmingHeader, result.warming.rows.map((row) => warmingCells(row.policy, row.perFunction[fn]))),
    );
  }
  sections.push(
    `#### Caching: ${result.caching.reads} cacheable reads, ${result.caching.compulsoryMisses} compulsory misses ` +
      `(an infinite cache hits ${percent(result.caching.infiniteCacheHitRate)})`,
    table(
      ["capacity", "policy", "hit rate", "hits", "misses", "expired misses", "of MIN's hit rate"],
      result.caching.rows.map((row) => [
        String(row.capacity),
        row.policy,
        percent(row.hitRate),
        String(row.hits),
        String(row.misses),
        row.counters.expiredMisses === undefined ? "" : String(row.counters.expiredMisses),
        percent(row.fractionOfMin),
      ]),
    ),
    result.caching.policies.map((p) => `- \`${p.name}\`: ${p.description}`).join("\n"),
    "#### Forecasting: each function's requests per minute",
    forecastAccuracyMarkdown(result.forecasting),
  );
  return sections.join("\n\n") + "\n";
}
