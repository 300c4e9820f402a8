import type { WorkloadStatement } from "../workload/workload.ts";
import type { AnalysisResult, Rejection } from "../recommendations/analyzer.ts";
import type { OptimizationConfig } from "../config/config.ts";
import type { Window } from "../finding/finding.ts";
import type { SeriesBucket } from "../metrics/series.ts";
import type { TargetSeries } from "../analyze/target_series.ts";
import { type Bound, resolveOptions } from "../analyze/options.ts";
import { collect, found, reject, type Verdict } from "../analyze/verdict.ts";
import { alignedPairs, checkAligned, p95With } from "./aligned.ts";
import type { BufferDipReport, DbSnapshotPoint } from "./buffer_dips.ts";
import { nameWords, relationsOf, sharesName } from "./shared_data.ts";
import {
  formatCorrelation,
  formatRate,
  median,
  percent,
  type RankCorrelation,
  spearman,
  wilsonInterval,
} from "./statistics.ts";

/**
 * Cross-system rules over aligned per-minute series of the metric store (database statements, cache
 * namespaces, edge functions), the database snapshots and pg_stat_statements deltas. Pure: it takes the
 * figures and decides. Every finding states its series, windows and statistic, and a confidence: a rank
 * correlation with its n and p-value (statistics.ts), a rate with its Wilson interval, or counts of
 * coinciding minutes or days.
 *
 * | rule                                         | fires when                                                    |
 * |----------------------------------------------|---------------------------------------------------------------|
 * | correlation.cache-and-db (1)                 | a namespace hits below alerts.minCacheHitRate and statements   |
 * |                                              | on the same data (by name, shared_data.ts) average at least    |
 * |                                              | alerts.slowQueryMs                                             |
 * | correlation.cold-starts-and-db (2)           | a function's cold starts per minute rank-correlate with the    |
 * |                                              | database's p95 per minute                                      |
 * | correlation.errors-across-systems (3)        | two or more systems have elevated error minutes within         |
 * |                                              | lagMinutes of each other on minSharedMinutes minutes           |
 * | correlation.db-bottleneck (4)                | a function's p95 per minute rank-correlates with the database's|
 * | correlation.connections-and-edge-spikes (5)  | snapshots with connections near max_connections fall in        |
 * |                                              | minutes of edge concurrency spikes                             |
 * | correlation.buffer-hit-dips (6)              | the buffer-cache hit ratio dips in the same time-of-day slot   |
 * |                                              | on several days (buffer_dips.ts)                               |
 *
 * A correlation rule fires at rho >= minRankCorrelation with p <= maxPValue over at least minPoints minutes,
 * each minute's p95 resting on at least minSamplesPerMinute events.
 */

/** Thresholds of the cross-system rules. */
export interface CorrelationAnalyzerOptions {
  /** Smallest Spearman rho that counts as "tracks" (default 0.6). */
  minRankCorrelation: number;
  /** Largest p-value of a correlation that is reported (default 0.01). */
  maxPValue: number;
  /** Paired minutes a correlation needs (default 10). */
  minPoints: number;
  /** Events a minute needs before its p95 is used (default 5). */
  minSamplesPerMinute: number;
  /** Lookups a namespace needs before its hit rate is judged (default 100). */
  minLookups: number;
  /** Cold starts a function needs before rule 2 looks at it (default 5). */
  minColdStarts: number;
  /** Errors a minute needs, beside an error rate above alerts.errorRate, to count as elevated (default 3). */
  minErrorsPerMinute: number;
  /** Elevated minutes of two systems at most this many minutes apart coincide (default 1). */
  lagMinutes: number;
  /** Coinciding minutes rule 3 needs (default 2). */
  minSharedMinutes: number;
  /** Connections per max_connections at which the database is saturated (default 0.8). */
  maxConnectionSaturation: number;
  /** Edge concurrency at least this many times its median minute is a spike (default 2). */
  spikeFactor: number;
  /** Saturated snapshots during spikes rule 5 needs (default 1). */
  minCoincidences: number;
  /** Buffer-cache hit ratio below which a snapshot interval dips (default 0.99). */
  minBufferHitRatio: number;
  /** Blocks an interval needs before its hit ratio is judged (default 1000). */
  minBlocks: number;
  /** Length of a time-of-day slot for rule 6, in minutes (default 30). */
  slotMinutes: number;
  /** Days a slot needs dips on to be predictable (default 2). */
  minRecurrenceDays: number;
  /** Days of snapshots rule 6 reads back from the window's end (default 7). */
  recurrenceDays: number;
  /** Targets read per system, busiest first (default 50). */
  maxTargets: number;
  /** Statements or relations named in a finding (default 3). */
  maxListed: number;
}

/** The defaults, frozen: lay options over them with the resolve function. */
export const correlationAnalyzerDefaults: Readonly<CorrelationAnalyzerOptions> = Object.freeze({
  minRankCorrelation: 0.6,
  maxPValue: 0.01,
  minPoints: 10,
  minSamplesPerMinute: 5,
  minLookups: 100,
  minColdStarts: 5,
  minErrorsPerMinute: 3,
  lagMinutes: 1,
  minSharedMinutes: 2,
  maxConnectionSaturation: 0.8,
  spikeFactor: 2,
  minCoincidences: 1,
  minBufferHitRatio: 0.99,
  minBlocks: 1000,
  slotMinutes: 30,
  minRecurrenceDays: 2,
  recurrenceDays: 7,
  maxTargets: 50,
  maxListed: 3,
});

const correlationBounds: { [K in keyof CorrelationAnalyzerOptions]: Bound } = {
  minRankCorrelation: { min: 0, max: 1 },
  maxPValue: { min: 0, max: 1 },
  minPoints: { min: 4, integer: true },
  minSamplesPerMinute: { min: 1, integer: true },
  minLookups: { min: 1, integer: true },
  minColdStarts: { min: 1, integer: true },
  minErrorsPerMinute: { min: 1, integer: true },
  lagMinutes: { min: 0, max: 60, integer: true },
  minSharedMinutes: { min: 1, integer: true },
  maxConnectionSaturation: { min: 0, max: 1 },
  spikeFactor: { min: 1 },
  minCoincidences: { min: 1, integer: true },
  minBufferHitRatio: { min: 0, max: 1 },
  minBlocks: { min: 1, integer: true },
  slotMinutes: { min: 5, max: 720, integer: true },
  minRecurrenceDays: { min: 2, integer: true },
  recurrenceDays: { min: 2, max: 365, integer: true },
  maxTargets: { min: 1, max: 1000, integer: true },
  maxListed: { min: 1, max: 50, integer: true },
};

/** The defaults with `options` laid over them; throws RangeError naming an option out of bounds. */
export function resolveCorrelationOptions(
  options: Partial<CorrelationAnalyzerOptions> = {},
): CorrelationAnalyzerOptions {
  const resolved = resolveOptions(correlationAnalyzerDefaults, correlationBounds, options);
  if (1440 % resolved.slotMinutes !== 0) {
    throw new RangeError(`slotMinutes must divide a day (1440 minutes): got ${resolved.slotMinutes}`);
  }
  return resolved;
}

/** Blocks a relation read from outside shared buffers (optimizer.table_deltas). */
export interface RelationReads {
  /** `schema.relation`. */
  relation: string;
  /** heap_blks_read + idx_blks_read. */
  blocksRead: number;
}

/** What correlate() decides on; every series of the same window and per-minute buckets. */
export interface CorrelationInput {
  /** The analysis window. */
  window: Window;
  /** Every database statement event together (system db, kind query). */
  db: TargetSeries;
  /** The busiest database statement targets. */
  dbTargets: TargetSeries[];
  /** The busiest edge functions (kind request). */
  edge: TargetSeries[];
  /** The busiest cache namespaces (kind lookup). */
  cache: TargetSeries[];
  /** Statements' deltas over the window, most time first. */
  statements: WorkloadStatement[];
  /** Database snapshots taken in the window. */
  snapshots: DbSnapshotPoint[];
  /** Rule 6's dips over its longer look-back, and the window it covers. */
  bufferDips: { report: BufferDipReport; window: Window };
  /** Blocks read per relation over the recurring dips' intervals, most first. */
  dipReads: RelationReads[];
}

const metricSeries = (s: TargetSeries) =>
  `optimizer.metric_rollups(${s.system}/${s.target === "*" ? "all targets" : s.target}/${s.kind})`;

/** Runs rules 1 to 6: findings and, for each rule that did not fire, its reason. */
export function correlate(
  input: CorrelationInput,
  config: OptimizationConfig,
  options: CorrelationAnalyzerOptions = correlationAnalyzerDefaults,
): AnalysisResult {
  for (const s of [...input.dbTargets, ...input.edge, ...input.cache]) {
    checkAligned(input.db.current, s.current);
  }
  return collect([
    ...input.cache.map((ns) => cacheAndDb(ns, input, config, options)),
    ...input.edge.map((fn) => coldStartsAndDb(fn, input, options)),
    errorsAcrossSystems(input, config, options),
    ...input.edge.map((fn) => dbBottleneck(fn, input, options)),
    connectionsAndEdgeSpikes(input, options),
    bufferHitDips(input, options),
  ]);
}

/** Statements whose mean time is at least `slowMs`, most time first. */
function slowStatements(statements: WorkloadStatement[], slowMs: number): WorkloadStatement[] {
  return statements.filter((s) => s.calls > 0 && s.totalMs / s.calls >= slowMs);
}

const describeStatement = (s: WorkloadStatement) =>
  `queryid ${s.queryid} (${(s.totalMs / s.calls).toFixed(1)} ms × ${s.calls} calls: ${
    s.query.replace(/\s+/g, " ").slice(0, 120)
  })`;

/** Rule 1: low cache hit rate and slow queries on the same data. */
function cacheAndDb(
  ns: TargetSeries,
  input: CorrelationInput,
  config: OptimizationConfig,
  options: CorrelationAnalyzerOptions,
): Verdict {
  const rule = "correlation.cache-and-db";
  const subject = `cache:${ns.target}+db`;
  const { hits, misses } = ns.current.summary;
  // 1. a hit rate low enough to matter, on enough lookups
  if (hits + misses < options.minLookups) {
    return reject(rule, subject, `${hits + misses} lookups is below minLookups ${options.minLookups}`);
  }
  const rate = wilsonInterval(hits, hits + misses)!;
  if (rate.rate >= config.alerts.minCacheHitRate) {
    return reject(
      rule,
      subject,
      `hit rate ${formatRate(rate)} is at or above alerts.minCacheHitRate ${
        percent(config.alerts.minCacheHitRate)
      }`,
    );
  }
  // 2. statements and database series on the same data
  const onData = input.statements.filter((s) => sharesName(ns.target, relationsOf(s.query)));
  const dbSeries = input.dbTargets.filter((t) => sharesName(ns.target, nameWords(t.target)));
  if (onData.length === 0 && dbSeries.length === 0) {
    return reject(
      rule,
      subject,
      `no statement's relations and no database series share a name with namespace ${ns.target}`,
    );
  }
  // 3. of which some are slow
  const slowMs = config.alerts.slowQueryMs;
  const slow = slowStatements(onData, slowMs);
  const slowSeries = dbSeries.filter((t) => (t.current.summary.mean ?? 0) >= slowMs);
  if (slow.length === 0 && slowSeries.length === 0) {
    return reject(
      rule,
      subject,
      `${onData.length} statement(s) and ${dbSeries.length} database series on ${ns.target}'s data average below ` +
        `alerts.slowQueryMs ${slowMs} ms`,
    );
  }
  const listed = [
    ...slow.slice(0, options.maxListed).map(describeStatement),
    ...slowSeries.slice(0, options.maxListed).map((t) =>
      `series ${t.target} (mean ${
        t.current.summary.mean!.toFixed(1)
      } ms over ${t.current.summary.count} events)`
    ),
  ];
  return found({
    rule,
    system: "overall",
    subject,
    severity: "warning",
    title: `Cache ${ns.target} misses ${percent(1 - rate.rate)} while queries on its data are slow`,
    detail: `Namespace ${ns.target} hit ${formatRate(rate)} of its lookups, below alerts.minCacheHitRate ` +
      `${percent(config.alerts.minCacheHitRate)}, and queries on the same data average at least ` +
      `alerts.slowQueryMs ${slowMs} ms: ${listed.join("; ")}. Every miss pays for a slow query. Fix both ` +
      "together: index those statements (see the index findings for their queryids) so a miss is cheap, and " +
      "cache their results so fewer requests reach them.",
    evidence: {
      series: [
        metricSeries(ns),
        ...(slow.length ? ["optimizer.statement_deltas"] : []),
        ...slowSeries.map(metricSeries),
      ],
      windows: [input.window],
      statistic: { name: "hit rate", value: rate.rate, unit: "ratio" },
    },
    action: {
      kind: "guidance",
      text:
        `Index the slow statements on ${ns.target}'s data and cache their results in namespace ${ns.target}.`,
    },
  });
}

/** The first verdict of a correlation rule: pairs, rho and p against the thresholds. */
function judgeCorrelation(
  rule: string,
  subject: string,
  what: string,
  x: number[],
  y: number[],
  options: CorrelationAnalyzerOptions,
): { correlation: RankCorrelation } | { rejection: Rejection } {
  if (x.length < options.minPoints) {
    return reject(
      rule,
      subject,
      `${x.length} paired minutes of ${what} is below minPoints ${options.minPoints}`,
    );
  }
  const c = spearman(x, y);
  if (c === null) {
    return reject(rule, subject, `${what}: one side is constant, so rank correlation is undefined`);
  }
  if (c.rho < options.minRankCorrelation) {
    return reject(
      rule,
      subject,
      `${what}: ${formatCorrelation(c)}, below minRankCorrelation ${options.minRankCorrelation}`,
    );
  }
  if (c.pValue > options.maxPValue) {
    return reject(rule, subject, `${what}: ${formatCorrelation(c)}, p above maxPValue ${options.maxPValue}`);
  }
  return { correlation: c };
}

/** Rule 2: edge cold starts and a slow database together. */
function coldStartsAndDb(
  fn: TargetSeries,
  input: CorrelationInput,
  options: CorrelationAnalyzerOptions,
): Verdict {
  const rule = "correlation.cold-starts-and-db";
  const subject = `edge:${fn.target}+db`;
  // 1. enough cold starts to compare
  if (fn.current.summary.coldStarts < options.minColdStarts) {
    return reject(
      rule,
      subject,
      `${fn.current.summary.coldStarts} cold starts is below minColdStarts ${options.minColdStarts}`,
    );
  }
  // 2. cold starts per minute against the database's p95 per minute
  const pairs = alignedPairs(
    fn.current,
    (b) => (b.count > 0 ? b.coldStarts : null),
    input.db.current,
    p95With(options.minSamplesPerMinute),
  );
  const judged = judgeCorrelation(
    rule,
    subject,
    "cold starts against database p95",
    pairs.x,
    pairs.y,
    options,
  );
  if ("rejection" in judged) return judged;
  const withCold = pairs.y.filter((_, i) => pairs.x[i] > 0);
  // every minute may have had cold starts: then there is no median without them, and 0 stands for it
  const without = pairs.y.filter((_, i) => pairs.x[i] === 0);
  return found({
    rule,
    system: "overall",
    subject,
    severity: "warning",
    title: `Cold starts of ${fn.target} come with a slow database: pool connections and pre-warm`,
    detail: `Per minute, ${fn.target}'s cold starts rank-correlate with the database's p95 ` +
      `(${formatCorrelation(judged.correlation)}): the database's median p95 is ` +
      `${median(withCold).toFixed(1)} ms in minutes with cold starts and ${
        (without.length ? median(without) : 0).toFixed(1)
      } ms ` +
      "without. Each new isolate opens its own connections, and their setup and the extra backends slow the " +
      "database. Connect through the transaction pooler (Supavisor, port 6543) with `prepare: false` " +
      "(a transaction pooler cannot keep prepared statements), keep each isolate's pool small (postgres.js " +
      "`max` 1 to 3) so that all isolates together stay within the pooler's pool size, and pre-warm the " +
      "function ahead of traffic so fewer requests start cold.",
    evidence: {
      series: [metricSeries(fn), metricSeries(input.db)],
      windows: [input.window],
      statistic: { name: "Spearman rho (cold starts, database p95)", value: judged.correlation.rho },
    },
    action: {
      kind: "guidance",
      text:
        `Use the transaction pooler with prepare: false and a small pool in ${fn.target}, and pre-warm it.`,
    },
  });
}

/** Systems in dependency order, deepest first: on a tie, the deeper one is named as failing first. */
const dependencyOrder = ["db", "cache", "edge"] as const;
type CorrelatedSystem = typeof dependencyOrder[number];

/** Rule 3: error rates rising across systems in the same minutes. */
function errorsAcrossSystems(
  input: CorrelationInput,
  config: OptimizationConfig,
  options: CorrelationAnalyzerOptions,
): Verdict {
  const rule = "correlation.errors-across-systems";
  const subject = "systems:db+cache+edge";
  const bySystem: Record<CorrelatedSystem, TargetSeries[]> = {
    db: input.dbTargets,
    cache: input.cache,
    edge: input.edge,
  };
  const elevated = (b: SeriesBucket) =>
    b.errors >= options.minErrorsPerMinute && (b.errorRate ?? 0) > config.alerts.errorRate;
  // 1. per system, its elevated minutes and the target with the most errors in each
  const minutes = new Map<CorrelatedSystem, Map<number, { target: string; errors: number }>>();
  for (const system of dependencyOrder) {
    const marks = new Map<number, { target: string; errors: number }>();
    for (const s of bySystem[system]) {
      s.current.buckets.forEach((b, i) => {
        if (elevated(b) && b.errors > (marks.get(i)?.errors ?? 0)) {
          marks.set(i, { target: s.target, errors: b.errors });
        }
      });
    }
    minutes.set(system, marks);
  }
  const counts = dependencyOrder.map((s) => `${s}: ${minutes.get(s)!.size}`).join(", ");
  const failing = dependencyOrder.filter((s) => minutes.get(s)!.size > 0);
  if (failing.length < 2) {
    return reject(rule, subject, `fewer than two systems had minutes of elevated errors (${counts})`);
  }
  // 2. minutes where another system is elevated within lagMinutes
  const near = (system: CorrelatedSystem, i: number) =>
    [...minutes.get(system)!.keys()].some((j) => Math.abs(i - j) <= options.lagMinutes);
  const shared: { index: number; system: CorrelatedSystem }[] = [];
  for (const system of failing) {
    for (const i of minutes.get(system)!.keys()) {
      if (failing.some((other) => other !== system && near(other, i))) shared.push({ index: i, system });
    }
  }
  const sharedMinutes = new Set(shared.map((s) => s.index));
  if (sharedMinutes.size < options.minSharedMinutes) {
    return reject(
      rule,
      subject,
      `elevated errors (${counts}) coincide within ±${options.lagMinutes} minute(s) on ${sharedMinutes.size} ` +
        `minute(s), below minSharedMinutes ${options.minSharedMinutes}`,
    );
  }
  // 3. the dependency that fails first: the earliest shared minute, the deepest system on a tie
  shared.sort((a, b) =>
    a.index - b.index || dependencyOrder.indexOf(a.system) - dependencyOrder.indexOf(b.system)
  );
  const first = shared[0];
  const firstTarget = minutes.get(first.system)!.get(first.index)!.target;
  const involved = [...new Set(shared.map((s) => s.system))];
  const errorsPerMinute = (system: CorrelatedSystem) =>
    input.db.current.buckets.map((_, i) =>
      bySystem[system].reduce((sum, s) => sum + s.current.buckets[i].errors, 0)
    );
  const confidence = involved.filter((s) => s !== first.system).map((other) => {
    const c = spearman(errorsPerMinute(first.system), errorsPerMinute(other));
    return `${first.system} and ${other} errors per minute: ${
      c === null ? "rank correlation undefined" : formatCorrelation(c)
    }`;
  });
  const firstAt = input.db.current.buckets[first.index].start.slice(0, 16);
  return found({
    rule,
    system: "overall",
    subject,
    severity: "critical",
    title: `Errors rise together in ${involved.join(", ")}; ${first.system} ${firstTarget} fails first`,
    detail:
      `${sharedMinutes.size} minute(s) had elevated errors (at least ${options.minErrorsPerMinute} and ` +
      `above alerts.errorRate ${percent(config.alerts.errorRate)}) in two or more systems within ` +
      `±${options.lagMinutes} minute(s) (${counts}). The first to fail was ${first.system} ${firstTarget} at ` +
      `${firstAt}Z; ${confidence.join("; ")}. Put a circuit breaker around calls to ${first.system} ` +
      `${firstTarget} (for example cockatiel's circuitBreaker with a SamplingBreaker) so that callers fail ` +
      "fast or fall back instead of piling up retries on a failing dependency.",
    evidence: {
      series: involved.flatMap((s) => bySystem[s].map(metricSeries)),
      windows: [input.window],
      statistic: {
        name: "minutes of errors shared across systems",
        value: sharedMinutes.size,
        unit: "minutes",
      },
    },
    action: {
      kind: "guidance",
      text: `Add a circuit breaker around calls to ${first.system} ${firstTarget}.`,
    },
  });
}

/** Rule 4: a function's p95 tracks the database's. */
function dbBottleneck(
  fn: TargetSeries,
  input: CorrelationInput,
  options: CorrelationAnalyzerOptions,
): Verdict {
  const rule = "correlation.db-bottleneck";
  const subject = `edge:${fn.target}+db`;
  const p95 = p95With(options.minSamplesPerMinute);
  // 1. the function's p95 per minute against the database's
  const pairs = alignedPairs(fn.current, p95, input.db.current, p95);
  const judged = judgeCorrelation(
    rule,
    subject,
    "function p95 against database p95",
    pairs.x,
    pairs.y,
    options,
  );
  if ("rejection" in judged) return judged;
  // 2. the statements it waits on: database series that track it too, and the statements with most time
  const tracking = input.dbTargets
    .map((t) => {
      const p = alignedPairs(fn.current, p95, t.current, p95);
      return { target: t, c: p.x.length >= options.minPoints ? spearman(p.x, p.y) : null };
    })
    .filter((t) => t.c !== null && t.c.rho >= options.minRankCorrelation && t.c.pValue <= options.maxPValue)
    .sort((a, b) => b.c!.rho - a.c!.rho)
    .slice(0, options.maxListed);
  const top = input.statements.slice(0, options.maxListed);
  const links = [
    ...tracking.map((t) => `series ${t.target.target} (${formatCorrelation(t.c!)})`),
    ...top.map(describeStatement),
  ];
  return found({
    rule,
    system: "overall",
    subject,
    severity: "warning",
    title: `The database is ${fn.target}'s bottleneck: its p95 tracks database latency`,
    detail: `Per minute, ${fn.target}'s p95 rank-correlates with the database's p95 ` +
      `(${formatCorrelation(judged.correlation)}; minRankCorrelation ${options.minRankCorrelation}): when ` +
      "the database slows, so does the function. Speed up the statements it waits on" +
      (links.length ? `: ${links.join("; ")}` : "") + ".",
    evidence: {
      series: [
        metricSeries(fn),
        metricSeries(input.db),
        ...tracking.map((t) => metricSeries(t.target)),
        ...(top.length ? ["optimizer.statement_deltas"] : []),
      ],
      windows: [input.window],
      statistic: { name: "Spearman rho (function p95, database p95)", value: judged.correlation.rho },
    },
    action: {
      kind: "guidance",
      text:
        `Speed up the database statements ${fn.target} runs (see the index findings) before tuning the function.`,
    },
  });
}

/** Rule 5: connection saturation coinciding with edge concurrency spikes. */
function connectionsAndEdgeSpikes(input: CorrelationInput, options: CorrelationAnalyzerOptions): Verdict {
  const rule = "correlation.connections-and-edge-spikes";
  const subject = "db:connections+edge";
  const series = input.db.current;
  const bucketMs = series.bucketSeconds * 1000;
  const from = Date.parse(series.from);
  // 1. edge concurrency per minute (Little's law: time spent in requests over the minute's length)
  const concurrency = series.buckets.map((_, i) =>
    input.edge.reduce((sum, fn) => {
      const b = fn.current.buckets[i];
      return sum + (b.mean ?? 0) * b.count / bucketMs;
    }, 0)
  );
  const busy = concurrency.filter((c) => c > 0);
  if (busy.length === 0) return reject(rule, subject, "no edge requests with latencies in the window");
  const typical = median(busy);
  // 2. each snapshot's saturation against the concurrency of its minute
  const points = input.snapshots
    .map((s) => ({ s, i: Math.floor((s.takenAt.getTime() - from) / bucketMs) }))
    .filter(({ i }) => i >= 0 && i < concurrency.length)
    .map(({ s, i }) => ({
      at: s.takenAt,
      saturation: s.maxConnections > 0 ? s.connectionsTotal / s.maxConnections : 0,
      concurrency: concurrency[i],
    }));
  if (points.length === 0) return reject(rule, subject, "no database snapshot in the window");
  const saturated = points.filter((p) => p.saturation >= options.maxConnectionSaturation);
  if (saturated.length === 0) {
    return reject(
      rule,
      subject,
      `no snapshot of ${points.length} had connections at maxConnectionSaturation ` +
        `${percent(options.maxConnectionSaturation)} of max_connections (highest ` +
        `${percent(Math.max(...points.map((p) => p.saturation)))})`,
    );
  }
  const spike = options.spikeFactor * typical;
  const coinciding = saturated.filter((p) => p.concurrency >= spike);
  if (coinciding.length < options.minCoincidences) {
    return reject(
      rule,
      subject,
      `${saturated.length} saturated snapshot(s), ${coinciding.length} during an edge concurrency spike ` +
        `(>= spikeFactor ${options.spikeFactor} × median ${typical.toFixed(2)}), below minCoincidences ` +
        `${options.minCoincidences}`,
    );
  }
  const c = spearman(points.map((p) => p.saturation), points.map((p) => p.concurrency));
  return found({
    rule,
    system: "overall",
    subject,
    severity: "warning",
    title: `Connections near max_connections during edge concurrency spikes (${coinciding.length} times)`,
    detail: `${coinciding.length} of ${saturated.length} snapshot(s) with connections at ` +
      `${percent(options.maxConnectionSaturation)} of max_connections or more fell in minutes when edge ` +
      `concurrency was at least ${options.spikeFactor}× its median (${
        typical.toFixed(2)
      } requests in flight); ` +
      `at ${
        coinciding.map((p) => p.at.toISOString().slice(0, 16) + "Z").slice(0, options.maxListed).join(", ")
      }. ` +
      `Across all ${points.length} snapshots: ${
        c === null ? "rank correlation undefined" : formatCorrelation(c)
      }. ` +
      "Bursts of isolates each open their own connections. Route functions through the transaction pooler " +
      "(Supavisor, port 6543, `prepare: false`), size its pool (default_pool_size) below max_connections " +
      "with room for the dashboard and migrations, and keep each isolate's pool to 1 to 3 connections.",
    evidence: {
      series: [
        "optimizer.db_snapshots(connections_total, max_connections)",
        ...input.edge.map(metricSeries),
      ],
      windows: [input.window],
      statistic: { name: "saturated snapshots during edge spikes", value: coinciding.length },
    },
    action: {
      kind: "guidance",
      text: "Connect functions through the transaction pooler and size its pool below max_connections.",
    },
  });
}

/** Rule 6: buffer-cache hit ratio dips at predictable times. */
function bufferHitDips(input: CorrelationInput, options: CorrelationAnalyzerOptions): Verdict {
  const rule = "correlation.buffer-hit-dips";
  const subject = "db:buffer-cache";
  const { report, window } = input.bufferDips;
  if (report.reason !== null) return reject(rule, subject, report.reason);
  const slots = report.recurring.map((s) =>
    `${s.slot} UTC on ${s.dipDays.length} of ${s.observedDays} day(s) (lowest ${
      percent(Math.min(...s.dips.map((d) => d.hitRatio)), 2)
    })`
  );
  const relations = input.dipReads.slice(0, options.maxListed);
  const prewarm = relations.map((r) => `select pg_prewarm('${r.relation}');`).join(" ");
  return found({
    rule,
    system: "db",
    subject,
    severity: "info",
    title: `Buffer-cache hit ratio dips at the same time each day: ${
      report.recurring.map((s) => s.slot).join(", ")
    } UTC`,
    detail:
      `The hit ratio of shared buffers fell below minBufferHitRatio ${
        percent(options.minBufferHitRatio, 2)
      } ` +
      `in the same ${options.slotMinutes}-minute slot on several days: ${slots.join("; ")}. ` +
      (relations.length
        ? `The relations read from disk in those intervals: ${
          relations.map((r) => `${r.relation} (${r.blocksRead} blocks)`).join(", ")
        }. Warm them shortly before each slot (pg_prewarm, e.g. from a pg_cron job): ${prewarm}`
        : "No relation's reads were recorded for those intervals.") +
      " The predictive module reads these slots to warm ahead of time.",
    evidence: {
      series: ["optimizer.db_snapshots(blks_hit, blks_read)", "optimizer.table_deltas"],
      windows: [window],
      statistic: {
        name: "recurring dip slots (UTC)",
        value: report.recurring.map((s) => s.slot).join(", "),
      },
    },
    action: {
      kind: "guidance",
      text: relations.length
        ? `Before ${report.recurring.map((s) => s.slot).join(", ")} UTC: ${prewarm}`
        : `Find what runs at ${report.recurring.map((s) => s.slot).join(", ")} UTC and warm what it reads.`,
    },
  });
}
