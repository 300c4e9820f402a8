import assert from "node:assert/strict";
import { parseConfig } from "../../shared/config/config.ts";
import {
  correlate,
  correlationAnalyzerDefaults,
  type CorrelationInput,
  resolveCorrelationOptions,
} from "../../shared/correlate/correlate.ts";
import { type DbSnapshotPoint, findBufferDips } from "../../shared/correlate/buffer_dips.ts";
import {
  fixtureFrom,
  fixtureWindow,
  type MinuteFigures,
  ruleOutcome,
  spread,
  targetSeries,
} from "../support/analysis_fixtures.ts";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../../shared/time.ts";

const config = parseConfig({});
const options = correlationAnalyzerDefaults;

/** The database at 5 to 10 ms, 10 statements a minute. */
const calmDb = (_i: number): MinuteFigures => ({ latencies: spread(10, 5, 10) });

function input(parts: Partial<CorrelationInput> = {}): CorrelationInput {
  return {
    window: fixtureWindow,
    db: targetSeries("db", "*", "query", calmDb),
    dbTargets: [],
    edge: [],
    cache: [],
    statements: [],
    snapshots: [],
    bufferDips: { report: findBufferDips([], options), window: fixtureWindow },
    dipReads: [],
    ...parts,
  };
}

function outcome(data: CorrelationInput, rule: string) {
  return ruleOutcome(correlate(data, config, options), rule);
}

Deno.test("resolveCorrelationOptions() names the option, its bound and the value", () => {
  assert.throws(() => resolveCorrelationOptions({ minPoints: 3 }), /minPoints must be >= 4: got 3/);
  assert.throws(
    () => resolveCorrelationOptions({ slotMinutes: 7 }),
    /slotMinutes must divide a day \(1440 minutes\): got 7/,
  );
  assert.throws(
    () => resolveCorrelationOptions({ minRankCorrelation: 1.5 }),
    /minRankCorrelation must be <= 1: got 1.5/,
  );
});

// Rule 1: low cache hit rate and slow queries on the same data

const robotsCache = targetSeries("cache", "robots:list", "lookup", () => ({ hits: 10, misses: 10 }));
const slowRobots = {
  queryid: "42",
  query: "select * from public.robots where user_id = $1",
  calls: 100,
  totalMs: 150_000,
};

Deno.test("rule 1 fires when a namespace misses and statements on its relation are slow", () => {
  const { finding } = outcome(
    input({ cache: [robotsCache], statements: [slowRobots] }),
    "correlation.cache-and-db",
  );
  assert.ok(finding);
  assert.equal(finding.subject, "cache:robots:list+db");
  assert.match(finding.detail, /queryid 42 \(1500\.0 ms × 100 calls/);
  assert.deepEqual(finding.evidence.series, [
    "optimizer.metric_rollups(cache/robots:list/lookup)",
    "optimizer.statement_deltas",
  ]);
  assert.equal(finding.evidence.statistic.value, 0.5);
});

Deno.test("rule 1 fires on a slow database series named like the namespace", () => {
  const slowSeries = targetSeries(
    "db",
    "robots.list",
    "query",
    () => ({ latencies: spread(10, 1_100, 1_300) }),
  );
  const { finding } = outcome(
    input({ cache: [robotsCache], dbTargets: [slowSeries] }),
    "correlation.cache-and-db",
  );
  assert.ok(finding);
  assert.match(finding.detail, /series robots\.list \(mean 1200\.0 ms over 600 events\)/);
});

Deno.test("rule 1 does not fire when the statements on the namespace's data are fast", () => {
  const { finding, reasons } = outcome(
    input({ cache: [robotsCache], statements: [{ ...slowRobots, totalMs: 1_200 }] }),
    "correlation.cache-and-db",
  );
  assert.equal(finding, undefined);
  assert.deepEqual(reasons, [
    "1 statement(s) and 0 database series on robots:list's data average below alerts.slowQueryMs 1000 ms",
  ]);
});

Deno.test("rule 1 does not fire when nothing in the database shares the namespace's name", () => {
  const sessions = targetSeries("cache", "sessions", "lookup", () => ({ hits: 10, misses: 10 }));
  const { reasons } = outcome(
    input({ cache: [sessions], statements: [slowRobots] }),
    "correlation.cache-and-db",
  );
  assert.deepEqual(reasons, [
    "no statement's relations and no database series share a name with namespace sessions",
  ]);
});

Deno.test("rule 1 does not fire when the namespace hits often enough", () => {
  const hot = targetSeries("cache", "robots", "lookup", () => ({ hits: 19, misses: 1 }));
  const { reasons } = outcome(input({ cache: [hot], statements: [slowRobots] }), "correlation.cache-and-db");
  assert.match(reasons[0], /^hit rate 95\.0 % .* is at or above alerts\.minCacheHitRate 80\.0 %$/);
});

// Rule 2: edge cold starts and a slow database together

const coldEvery6 = (i: number): MinuteFigures => ({
  latencies: spread(20, 20, 40),
  coldStarts: i % 6 === 0 ? 3 : 0,
});
const dbSlowAt = (offset: number) => (i: number): MinuteFigures => ({
  latencies: i % 6 === offset ? spread(10, 50, 100) : spread(10, 5, 10),
});

Deno.test("rule 2 fires when the database is slow in the minutes a function starts cold", () => {
  const { finding } = outcome(
    input({
      edge: [targetSeries("edge", "robots", "request", coldEvery6)],
      db: targetSeries("db", "*", "query", dbSlowAt(0)),
    }),
    "correlation.cold-starts-and-db",
  );
  assert.ok(finding);
  assert.ok(Number(finding.evidence.statistic.value) >= 0.6);
  assert.match(finding.detail, /rho = 1\.00, n = 60, p < 0\.001\): the database's median p95 is 100\.0 ms/);
  assert.match(finding.detail, /transaction pooler \(Supavisor, port 6543\) with `prepare: false`/);
});

Deno.test("rule 2 does not fire when the database is slow at other minutes", () => {
  const { finding, reasons } = outcome(
    input({
      edge: [targetSeries("edge", "robots", "request", coldEvery6)],
      db: targetSeries("db", "*", "query", dbSlowAt(3)),
    }),
    "correlation.cold-starts-and-db",
  );
  assert.equal(finding, undefined);
  assert.match(
    reasons[0],
    /^cold starts against database p95: rho = -0\.\d\d, n = 60, .*, below minRankCorrelation 0\.6$/,
  );
});

Deno.test("rule 2 does not look at a function with few cold starts", () => {
  const { reasons } = outcome(
    input({
      edge: [
        targetSeries("edge", "robots", "request", (i) => ({ latencies: [20], coldStarts: i === 0 ? 1 : 0 })),
      ],
    }),
    "correlation.cold-starts-and-db",
  );
  assert.deepEqual(reasons, ["1 cold starts is below minColdStarts 5"]);
});

// Rule 3: error rates rising across systems in the same windows

const failing = (minutes: number[]) => (i: number): MinuteFigures => ({
  latencies: spread(20, 5, 10),
  errors: minutes.includes(i) ? 6 : 0,
});

Deno.test("rule 3 fires when database and edge errors rise together, naming the database as failing first", () => {
  const { finding } = outcome(
    input({
      dbTargets: [targetSeries("db", "robots.list", "query", failing([30, 31, 32]))],
      edge: [targetSeries("edge", "robots", "request", failing([31, 32, 33]))],
    }),
    "correlation.errors-across-systems",
  );
  assert.ok(finding);
  assert.equal(finding.evidence.statistic.value, 4);
  assert.match(finding.title, /db robots\.list fails first/);
  assert.match(finding.detail, /The first to fail was db robots\.list at 2026-01-05T12:30Z/);
  assert.match(finding.detail, /db and edge errors per minute: rho = /);
});

Deno.test("rule 3 does not fire when only one system fails", () => {
  const { reasons } = outcome(
    input({ edge: [targetSeries("edge", "robots", "request", failing([31, 32, 33]))] }),
    "correlation.errors-across-systems",
  );
  assert.deepEqual(reasons, [
    "fewer than two systems had minutes of elevated errors (db: 0, cache: 0, edge: 3)",
  ]);
});

Deno.test("rule 3 does not fire when the systems fail at different times", () => {
  const { reasons } = outcome(
    input({
      dbTargets: [targetSeries("db", "robots.list", "query", failing([5, 6]))],
      edge: [targetSeries("edge", "robots", "request", failing([40, 41]))],
    }),
    "correlation.errors-across-systems",
  );
  assert.deepEqual(reasons, [
    "elevated errors (db: 2, cache: 0, edge: 2) coincide within ±1 minute(s) on 0 minute(s), below minSharedMinutes 2",
  ]);
});

// Rule 4: a function's p95 tracks database latency

const rising = (base: number, step: number) => (i: number): MinuteFigures => ({
  latencies: spread(10, base + step * i, base + step * i + 5),
});

Deno.test("rule 4 fires when a function's p95 tracks the database's and names the statements", () => {
  const { finding } = outcome(
    input({
      db: targetSeries("db", "*", "query", rising(5, 1)),
      dbTargets: [targetSeries("db", "robots.list", "query", rising(5, 1))],
      edge: [targetSeries("edge", "robots", "request", rising(30, 2))],
      statements: [slowRobots],
    }),
    "correlation.db-bottleneck",
  );
  assert.ok(finding);
  assert.ok(Math.abs(Number(finding.evidence.statistic.value) - 1) < 1e-9);
  assert.match(finding.detail, /series robots\.list \(rho = 1\.00, n = 60, p < 0\.001\); queryid 42/);
});

Deno.test("rule 4 does not fire when the function's p95 does not follow the database", () => {
  const scrambled = (i: number): MinuteFigures => ({
    latencies: spread(10, 30 + ((i * 37) % 60), 35 + ((i * 37) % 60)),
  });
  const { finding, reasons } = outcome(
    input({
      db: targetSeries("db", "*", "query", rising(5, 1)),
      edge: [targetSeries("edge", "robots", "request", scrambled)],
    }),
    "correlation.db-bottleneck",
  );
  assert.equal(finding, undefined);
  assert.match(
    reasons[0],
    /^function p95 against database p95: rho = -?0\.\d\d, n = 60, .*, below minRankCorrelation 0\.6$/,
  );
});

Deno.test("rule 4 needs minPoints minutes with enough events on both sides", () => {
  const { reasons } = outcome(
    input({
      edge: [
        targetSeries("edge", "robots", "request", (i) => (i < 5 ? { latencies: spread(10, 20, 30) } : {})),
      ],
    }),
    "correlation.db-bottleneck",
  );
  assert.deepEqual(reasons, ["5 paired minutes of function p95 against database p95 is below minPoints 10"]);
});

// Rule 5: connection saturation coinciding with edge concurrency spikes

const spikeAt20 = (i: number): MinuteFigures => ({
  latencies: i === 20 ? Array(200).fill(3000) : Array(10).fill(100),
});
const snapshot = (minute: number, connections: number): DbSnapshotPoint => ({
  takenAt: new Date(fixtureFrom.getTime() + minute * MINUTE_MS + 30 * SECOND_MS),
  blksHit: 0,
  blksRead: 0,
  dbStatsReset: null,
  connectionsTotal: connections,
  maxConnections: 100,
});

Deno.test("rule 5 fires when connections near max_connections coincide with an edge concurrency spike", () => {
  const { finding } = outcome(
    input({
      edge: [targetSeries("edge", "robots", "request", spikeAt20)],
      snapshots: [snapshot(5, 20), snapshot(20, 90), snapshot(35, 25)],
    }),
    "correlation.connections-and-edge-spikes",
  );
  assert.ok(finding);
  assert.equal(finding.evidence.statistic.value, 1);
  assert.match(finding.detail, /at 2026-01-05T12:20Z/);
  assert.match(finding.detail, /default_pool_size/);
});

Deno.test("rule 5 does not fire when saturation falls outside the spikes", () => {
  const { reasons } = outcome(
    input({
      edge: [targetSeries("edge", "robots", "request", spikeAt20)],
      snapshots: [snapshot(5, 90), snapshot(20, 30)],
    }),
    "correlation.connections-and-edge-spikes",
  );
  assert.deepEqual(reasons, [
    "1 saturated snapshot(s), 0 during an edge concurrency spike (>= spikeFactor 2 × median 0.02), below minCoincidences 1",
  ]);
});

Deno.test("rule 5 does not fire when connections stay low", () => {
  const { reasons } = outcome(
    input({ edge: [targetSeries("edge", "robots", "request", spikeAt20)], snapshots: [snapshot(20, 30)] }),
    "correlation.connections-and-edge-spikes",
  );
  assert.deepEqual(reasons, [
    "no snapshot of 1 had connections at maxConnectionSaturation 80.0 % of max_connections (highest 30.0 %)",
  ]);
});

// Rule 6: buffer-cache hit ratio dips at predictable times

/** Snapshots every 30 minutes over `days` days; the interval ending at 07:00 UTC reads 10 % from disk on `dipDays`. */
function bufferSnapshots(days: number, dipDays: number[]): DbSnapshotPoint[] {
  const start = Date.parse("2026-01-01T00:00:00Z");
  const points: DbSnapshotPoint[] = [];
  let hit = 0;
  let read = 0;
  for (let t = start; t <= start + days * 24 * HOUR_MS; t += 30 * MINUTE_MS) {
    const at = new Date(t);
    const dip = at.getUTCHours() === 7 && at.getUTCMinutes() === 0 && dipDays.includes(at.getUTCDate());
    hit += dip ? 9_000 : 9_990;
    read += dip ? 1_000 : 10;
    points.push({
      takenAt: at,
      blksHit: hit,
      blksRead: read,
      dbStatsReset: null,
      connectionsTotal: 5,
      maxConnections: 100,
    });
  }
  return points;
}

Deno.test("rule 6 fires when the buffer-cache hit ratio dips in the same slot on several days, naming relations to warm", () => {
  const report = findBufferDips(bufferSnapshots(3, [1, 2, 3]), options);
  const { finding } = outcome(
    input({
      bufferDips: { report, window: fixtureWindow },
      dipReads: [{ relation: "public.robots", blocksRead: 3000 }],
    }),
    "correlation.buffer-hit-dips",
  );
  assert.ok(finding);
  assert.equal(finding.evidence.statistic.value, "07:00");
  assert.match(finding.detail, /07:00 UTC on 3 of 3 day\(s\) \(lowest 90\.00 %\)/);
  assert.match(finding.detail, /select pg_prewarm\('public\.robots'\);/);
});

Deno.test("rule 6 does not fire for a dip on one day only", () => {
  const report = findBufferDips(bufferSnapshots(3, [2]), options);
  const { reasons } = outcome(
    input({ bufferDips: { report, window: fixtureWindow } }),
    "correlation.buffer-hit-dips",
  );
  assert.deepEqual(reasons, [
    "1 dips, but no 30-minute slot has them on minRecurrenceDays 2 days (07:00: 1 day(s))",
  ]);
});

Deno.test("rule 6 does not fire when the hit ratio stays above the floor", () => {
  const report = findBufferDips(bufferSnapshots(2, []), options);
  const { reasons } = outcome(
    input({ bufferDips: { report, window: fixtureWindow } }),
    "correlation.buffer-hit-dips",
  );
  assert.deepEqual(reasons, ["no interval of 96 fell below minBufferHitRatio 99.00 % (lowest 99.90 %)"]);
});

Deno.test("findBufferDips() skips an interval across a statistics reset", () => {
  const points = bufferSnapshots(1, [1]).map((p, i) =>
    i >= 14 ? { ...p, dbStatsReset: new Date("2026-01-01T06:50:00Z") } : p
  );
  const report = findBufferDips(points, options);
  assert.equal(report.dips.length, 0);
  assert.equal(report.intervals, 47);
});
