/**
 * One scenario run on the shared world: isolate it (database restored, indexes as the scenario and its
 * features want, buffers prewarmed the same way, statistics reset, new function workers with empty caches), replay the
 * trace open-loop against a gateway of its own, and read the counters around the replay.
 */
import { fileURLToPath } from "node:url";
import { type GatewayStats, startGateway } from "../../scripts/stack/mod.ts";
import { restoreReferenceData } from "../reference_app/data/load.ts";
import { referenceTables } from "../reference_app/schema/mod.ts";
import { startUpstream } from "../reference_app/upstream.ts";
import { inOutage } from "../reference_app/upstream_behaviour.ts";
import { replayTrace, sliceTrace } from "../trace/replay.ts";
import { endpointFunction, type Outage, type Trace } from "../trace/trace.ts";
import { isOwnStatement, suiteRoles } from "../../shared/workload/workload.ts";
import { type RunCounters, type ScenarioFigures, scenarioFigures, type SendResult } from "./figures.ts";
import type { PeerIndex } from "./peer_indexes.ts";
import type { StatementTime } from "./statement_times.ts";
import { startLatencyProxy, throughProxy } from "./latency_proxy.ts";
import { createDirectory, learnCreatedRobot, toHttpCall } from "./request_mapper.ts";
import type { World } from "./world.ts";

export interface ScenarioSpec {
  name: string;
  description: string;
  /** The app's own cache-aside cache (bench/reference_app/cache.ts), as a team would add it. */
  appCache: { ttlMs: number; maxEntries: number } | null;
  /** A fixed-interval warmer, in trace time (serverless-plugin-warmup pings every 5 minutes by default). */
  warmerIntervalMs: number | null;
  /** The set of extra indexes the scenario runs with (a key of RunOptions.indexSets), or none. */
  indexes: string | null;
  /** The suite's own features switched on (later issues add theirs). */
  features: SuiteFeature[];
}

/** A feature of the suite, switched on in the `optimized` scenario. */
export interface SuiteFeature {
  name: string;
  /** Variables for the app's functions (the feature's configuration). */
  functionsEnv?: Record<string, string>;
  /**
   * After the scenario is isolated, before its tables are analyzed and prewarmed and its functions start:
   * e.g. apply the suite's recommendations.
   */
  prepare?: (world: World) => Promise<void>;
  /**
   * After the replay, its functions stopped (so their statistics are flushed), also when the run failed:
   * read what the feature reports on, then undo what prepare did.
   */
  restore?: (world: World) => Promise<void>;
  /**
   * Runs beside the replay, e.g. the suite's warmer; resolves when `signal` aborts (as soon as the replay
   * ends), with what it did meanwhile.
   */
  during?: (context: FeatureContext, signal: AbortSignal) => Promise<FeatureActivity>;
  /**
   * The config.toml the scenario's gateway serves instead of the app's alone: e.g. the app's functions beside
   * the suite's, as one hosted project serves them, so that pg_cron's calls and the warmer's pings reach them.
   */
  functionsConfigPath?: string;
}

/** What a feature did beside the replay. */
export interface FeatureActivity {
  /** Warm-up pings it sent to the app's functions. */
  warmPings?: number;
}

export interface FeatureContext {
  world: World;
  gatewayUrl: string;
  compression: number;
  /** When the measured window begins: after the run's lead-in (RunOptions.leadInMs). */
  measuredFrom: Date;
}

export interface RunOptions {
  compression: number;
  /**
   * How much the gateway's worker idle timeout and lifetime are compressed; defaults to `compression`. A demo
   * replaying faster than 60x keeps them at 60x: below a second they would be shorter than a cold start.
   */
  timeoutCompression?: number;
  /** The extra index sets scenarios may ask for by name; every one is dropped when a scenario is isolated. */
  indexSets: Record<string, PeerIndex[]>;
  /**
   * The first `leadInMs` of the trace (trace time) are replayed but left out of every figure, so the measured
   * window starts in the steady state of the scenario's policy: workers booted by its traffic and its pings,
   * not a new gateway's empty one (a deployment is new once; a warmer runs for months). Default 0.
   */
  leadInMs?: number;
  /**
   * A slow database: while the replay is inside one of `windows` (trace ms of the replayed trace), every chunk
   * the functions send to Postgres waits `delayMs` first, so each statement's round trip takes that much longer
   * (bench/harness/latency_proxy.ts). The harness's own counters read Postgres directly.
   */
  slowDatabase?: SlowDatabase;
  /**
   * Called once the scenario is isolated, its features prepared and its buffers warmed, just before the replay
   * (e.g. to take a statement snapshot).
   */
  onIsolated?: () => Promise<void>;
  onProgress?: (text: string) => void;
}

export interface SlowDatabase {
  windows: Outage[];
  delayMs: number;
}

export interface ScenarioRun {
  scenario: string;
  repeat: number;
  figures: ScenarioFigures;
  replay: { dispatched: number; dropped: number; late: number; maxSendLagMs: number; elapsedMs: number };
  /** Calls the quote service received, those inside its outage windows, and how long those lasted (trace ms). */
  upstream: { requests: number; duringOutage: number; outageMs: number };
  /** Per function: requests the client sent (not skipped, not dropped at its in-flight cap) and got no answer to. */
  client: Record<string, { sent: number; noAnswer: number }>;
  /** Per function, from the gateway: requests forwarded to a worker and those answered without a handler. */
  gateway: GatewayStats["requests"];
  /** The slow database the run had, and how many chunks the proxy held back; null without one. */
  slowDatabase: (SlowDatabase & { delayedChunks: number }) | null;
  /** Per index of the app's tables (`schema.name`): index scans during the replay (pg_stat_user_indexes). */
  indexScans: Record<string, number>;
  /** The measured requests a cold worker answered: when (trace ms into the window) and what. */
  coldRequests: { atMs: number; endpoint: string }[];
  /** The app's statements that ran in the measured window, with their calls and time there. */
  statements: StatementTime[];
}

const appConfigPath = fileURLToPath(new URL("../reference_app/config.toml", import.meta.url));
/** The reference app's functions. */
export const appFunctions = ["robots", "robot-chat", "market-data"];
/** Hosted defaults the gateway's timeouts are compressed from (scripts/stack/options.ts). */
const hostedIdleTimeoutS = 60;
const hostedMaxLifetimeS = 150;

async function isolate(world: World, spec: ScenarioSpec, indexSets: RunOptions["indexSets"]): Promise<void> {
  const { sql } = world;
  for (const index of Object.values(indexSets).flat()) {
    await sql.unsafe(`drop index if exists public.${index.name}`);
  }
  await restoreReferenceData(sql);
  if (spec.indexes !== null) {
    const set = indexSets[spec.indexes];
    if (!set) {
      throw new Error(`scenario ${spec.name} asks for index set ${spec.indexes}, which was not given`);
    }
    for (const index of set) await sql.unsafe(index.statement);
  }
}

/**
 * After isolate() and the features' changes: statistics for every index the scenario runs with, and the
 * app's tables and indexes in shared buffers, so that buffer state left by the previous scenario cannot favour
 * the next one, nor can indexes a scenario made earlier over those a feature made just now.
 */
async function settle(world: World): Promise<void> {
  const { sql } = world;
  await sql`analyze public.robots, public.robot_messages, public.market_candles`;
  await sql`
    select extensions.pg_prewarm(c.oid)
    from pg_catalog.pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'i')`;
  await sql`select extensions.pg_stat_statements_reset()`;
}

/** What the write endpoints pay, index maintenance included. */
const writeStatement = /^\s*(insert|update|delete)\b/i;

/** The app's tables by bare name: a statement on one of them that is not the suite's own is the app's. */
const appTable = new RegExp(`\\b(${referenceTables.map((t) => t.split(".")[1]).join("|")})\\b`, "i");

/**
 * The database's counters now: shared-buffer hits and reads, the suite's own statement time so far, and every
 * app statement pg_stat_statements holds, by its key there (role, queryid, top level), with its text, calls
 * and time so far. One read of pg_stat_statements serves both the suite's time and the app's statements.
 */
async function databaseCounters(world: World) {
  const [db] = await world.sql<{ hit: string; read: string }[]>`
    select blks_hit as hit, blks_read as read from pg_catalog.pg_stat_database where datname = current_database()`;
  const rows = await world.sql<{ id: string; role: string; query: string; calls: string; total: number }[]>`
    select s.userid::text || ' ' || s.queryid::text || ' ' || s.toplevel::text as id,
           coalesce(r.rolname, s.userid::text) as role, s.query, s.calls, s.total_exec_time::float8 as total
    from extensions.pg_stat_statements s
    left join pg_catalog.pg_roles r on r.oid = s.userid`;
  let suite = 0;
  const statements = new Map<string, StatementTime>();
  for (const row of rows) {
    if (isOwnStatement(row, suiteRoles)) suite += row.total;
    else if (appTable.test(row.query)) {
      statements.set(row.id, { query: row.query, calls: Number(row.calls), totalMs: row.total });
    }
  }
  return { hit: Number(db.hit), read: Number(db.read), suite, statements };
}

/**
 * What each statement did between two databaseCounters() snapshots, one entry per text (roles run the same
 * statement under keys of their own); those that did nothing are left out.
 */
function statementsBetween(
  before: Map<string, StatementTime>,
  after: Map<string, StatementTime>,
): StatementTime[] {
  const byQuery = new Map<string, StatementTime>();
  for (const [id, now] of after) {
    const then = before.get(id);
    const calls = now.calls - (then?.calls ?? 0);
    if (calls <= 0) continue;
    const sum = byQuery.get(now.query) ?? { query: now.query, calls: 0, totalMs: 0 };
    sum.calls += calls;
    sum.totalMs += now.totalMs - (then?.totalMs ?? 0);
    byQuery.set(now.query, sum);
  }
  return [...byQuery.values()];
}

/** idx_scan of every index on the app's tables, by `schema.name`. */
async function appIndexScans(world: World): Promise<Record<string, number>> {
  const rows = await world.sql<{ name: string; scans: string }[]>`
    select s.schemaname || '.' || s.indexrelname as name, s.idx_scan as scans
    from pg_catalog.pg_stat_user_indexes s
    where s.relid in (select pg_catalog.to_regclass(t) from pg_catalog.unnest(${[
    ...referenceTables,
  ]}::text[]) t)`;
  return Object.fromEntries(rows.map((row) => [row.name, Number(row.scans)]));
}

/** Bytes of every index on the app's tables, primary keys included. */
async function appIndexBytes(world: World): Promise<number> {
  const [row] = await world.sql<{ bytes: string }[]>`
    select coalesce(sum(pg_catalog.pg_relation_size(i.indexrelid)), 0) as bytes
    from pg_catalog.pg_index i
    -- to_regclass: a table that does not exist has no indexes, rather than an error
    where i.indrelid in (select pg_catalog.to_regclass(t) from pg_catalog.unnest(${[
    ...referenceTables,
  ]}::text[]) t)`;
  return Number(row.bytes);
}

async function functionsEnvFile(world: World, spec: ScenarioSpec, upstreamUrl: string): Promise<string> {
  const env: Record<string, string> = {
    UPSTREAM_URL: upstreamUrl,
    METRICS_URL: `${world.env.SUPABASE_URL}/functions/v1/metrics`,
    APP_CACHE: spec.appCache ? "lru-ttl" : "off",
    ...(spec.appCache
      ? {
        APP_CACHE_TTL_MS: String(spec.appCache.ttlMs),
        APP_CACHE_MAX_ENTRIES: String(spec.appCache.maxEntries),
      }
      : {}),
  };
  for (const feature of spec.features) Object.assign(env, feature.functionsEnv ?? {});
  const path = await Deno.makeTempFile({ prefix: `bench-${spec.name}-`, suffix: ".env" });
  await Deno.writeTextFile(path, Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  return path;
}

/**
 * Pings every app function at a fixed interval of trace time, as serverless-plugin-warmup does; counts the
 * pings sent from `countFrom` on.
 */
function startFixedWarmer(gatewayUrl: string, intervalMs: number, compression: number, countFrom: Date) {
  let pings = 0;
  const ping = () => {
    for (const fn of appFunctions) {
      if (Date.now() >= countFrom.getTime()) pings++;
      fetch(`${gatewayUrl}/functions/v1/${fn}`, { headers: { "x-warmup": "1" } })
        .then((response) => response.body?.cancel())
        .catch(() => {});
    }
  };
  ping();
  const timer = setInterval(ping, intervalMs / compression);
  return {
    stop() {
      clearInterval(timer);
      return pings;
    },
  };
}

export async function runScenario(
  world: World,
  trace: Trace,
  spec: ScenarioSpec,
  repeat: number,
  options: RunOptions,
): Promise<ScenarioRun> {
  await isolate(world, spec, options.indexSets);
  const prepared: SuiteFeature[] = [];
  try {
    for (const feature of spec.features) {
      prepared.push(feature);
      await feature.prepare?.(world);
    }
    await settle(world);
    await options.onIsolated?.();
    return await replay(world, trace, spec, repeat, options);
  } finally {
    for (const feature of prepared) await feature.restore?.(world);
  }
}

/** Replays the trace against the isolated scenario: its own upstream, gateway and warmer. */
async function replay(
  world: World,
  trace: Trace,
  spec: ScenarioSpec,
  repeat: number,
  options: RunOptions,
): Promise<ScenarioRun> {
  const { compression } = options;
  const leadInMs = options.leadInMs ?? 0;
  if (!(leadInMs >= 0 && leadInMs < trace.durationMs)) {
    throw new Error(
      `leadInMs must be >= 0 and shorter than the trace (${trace.durationMs} ms): got ${leadInMs}`,
    );
  }
  // Both faults follow the replay's clock, set once it starts: the gateway takes seconds of trace time to start.
  let replayStartMs: number | null = null;
  const faultAt = (windows: Outage[]) => (nowMs: number) =>
    replayStartMs !== null && inOutage(windows, nowMs, replayStartMs, compression);
  const upstream = await startUpstream({
    port: 0,
    outages: [],
    timeCompression: compression,
    traceStartMs: Date.parse(trace.startIso),
    seed: world.options.seed,
  });
  const slow = options.slowDatabase;
  const dbUrl = new URL(world.env.SUPABASE_DB_URL);
  const slowAt = slow ? faultAt(slow.windows) : null;
  const proxy = slow
    ? startLatencyProxy({
      target: { hostname: dbUrl.hostname, port: Number(dbUrl.port || 5432) },
      delayMs: () => slowAt!(Date.now()) ? slow.delayMs : 0,
    })
    : null;
  const envPath = await functionsEnvFile(world, spec, upstream.url);
  const configPaths = new Set(spec.features.flatMap((f) => f.functionsConfigPath ?? []));
  if (configPaths.size > 1) {
    throw new Error(
      `scenario ${spec.name}: its features ask for ${configPaths.size} gateway configs; one at most`,
    );
  }
  const gateway = await startGateway({
    port: 0,
    configPath: [...configPaths][0] ?? appConfigPath,
    functionsEnvPath: envPath,
    dbUrl: proxy ? throughProxy(world.env.SUPABASE_DB_URL, proxy) : world.env.SUPABASE_DB_URL,
    workerIdleTimeoutS: hostedIdleTimeoutS / (options.timeoutCompression ?? compression),
    workerMaxLifetimeS: hostedMaxLifetimeS / (options.timeoutCompression ?? compression),
    log: () => {},
  });
  const measuredFrom = new Date(Date.now() + leadInMs / compression);
  const warmer = spec.warmerIntervalMs === null
    ? null
    : startFixedWarmer(gateway.url, spec.warmerIntervalMs, compression, measuredFrom);
  const featureContext = { world, gatewayUrl: gateway.url, compression, measuredFrom };
  const featuresStop = new AbortController();
  const featureRuns = spec.features.filter((f) => f.during).map((f) =>
    f.during!(featureContext, featuresStop.signal)
  );
  // Awaited once the replay ends; a feature failing earlier must not be an unhandled rejection meanwhile.
  for (const run of featureRuns) run.catch(() => {});
  const directory = createDirectory(world.robotsByUser.map((ids) => [...ids]));
  const publishable = world.env.SUPABASE_PUBLISHABLE_KEY;
  try {
    const readCounters = async () => ({
      counters: await databaseCounters(world),
      scans: await appIndexScans(world),
    });
    // the counters as the measured window begins: before the replay, or once its lead-in has played
    const atMeasuredFrom = leadInMs === 0
      ? Promise.resolve(await readCounters())
      : new Promise((resolve) => setTimeout(resolve, measuredFrom.getTime() - Date.now())).then(readCounters);
    replayStartMs = Date.now();
    upstream.setOutages(faultAt(trace.outages));
    const report = await replayTrace<SendResult>(trace, {
      compression,
      maxInFlight: 512,
      onProgress: options.onProgress
        ? (p) =>
          options.onProgress!(`${p.completed + p.failed + p.dropped} / ${trace.requests.length} requests`)
        : null,
      send: async (request) => {
        const mapped = toHttpCall(request, directory);
        if ("skip" in mapped) return { skipped: mapped.skip };
        const { call } = mapped;
        const response = await fetch(`${gateway.url}/functions/v1${call.path}`, {
          method: call.method,
          headers: {
            apikey: publishable,
            authorization: `Bearer ${world.jwts[request.userIndex]}`,
            ...(call.body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
        });
        const body = request.endpoint === "robots.create" || request.endpoint === "robots.duplicate"
          ? await response.json().catch(() => null)
          : await response.arrayBuffer().then(() => null);
        learnCreatedRobot(request, response.status, body, directory);
        const cache = response.headers.get("x-cache");
        return {
          status: response.status,
          coldStart: response.headers.get("x-stack-cold-start") === "true",
          cache: cache === "hit" || cache === "miss" ? cache : null,
          fallback: cache === "stale-if-error" ? cache : response.headers.get("x-fallback"),
        };
      },
    });
    featuresStop.abort();
    const activities = await Promise.all(featureRuns);
    const { counters: before, scans: scansBefore } = await atMeasuredFrom;
    const after = await databaseCounters(world);
    const statements = statementsBetween(before.statements, after.statements);
    const hits = after.hit - before.hit;
    const reads = after.read - before.read;
    const pool = gateway.stats();
    const counters: RunCounters = {
      sharedBufferHitRatio: hits + reads === 0 ? null : hits / (hits + reads),
      appDbTimeMs: Math.round(statements.reduce((sum, s) => sum + s.totalMs, 0)),
      appWriteDbTimeMs: Math.round(
        statements.filter((s) => writeStatement.test(s.query)).reduce((sum, s) => sum + s.totalMs, 0),
      ),
      appIndexBytes: await appIndexBytes(world),
      suiteDbTimeMs: Math.round(after.suite - before.suite),
      workerBoots: pool.coldStarts,
      workerBootTimes: pool.boots,
      warmPings: (warmer?.stop() ?? 0) + activities.reduce((sum, a) => sum + (a.warmPings ?? 0), 0),
    };
    const upstreamStats = upstream.stats();
    const measured = report.records
      .filter((r) => r.request.atMs >= leadInMs)
      .map((r) => ({ ...r, request: { ...r.request, atMs: r.request.atMs - leadInMs } }));
    const client: ScenarioRun["client"] = {};
    for (const record of measured) {
      if (record.outcome === "dropped" || (record.result && "skipped" in record.result)) continue;
      const counts = client[endpointFunction[record.request.endpoint]] ??= { sent: 0, noAnswer: 0 };
      counts.sent++;
      if (record.outcome === "rejected") counts.noAnswer++;
    }
    // Stopping retires every worker: each sends what it still holds before it exits, and its connections'
    // statistics (index scans among them) reach the shared counters.
    await gateway.stop();
    const scansAfter = await appIndexScans(world);
    const indexScans = Object.fromEntries(
      Object.entries(scansAfter).map(([name, scans]) => [name, scans - (scansBefore[name] ?? 0)]),
    );
    return {
      scenario: spec.name,
      repeat,
      figures: scenarioFigures(
        measured,
        sliceTrace(trace, leadInMs, trace.durationMs).outages,
        measured.filter((r) => r.late).length,
        counters,
        (slow?.windows ?? []).map((w) => ({ startMs: w.startMs - leadInMs, endMs: w.endMs - leadInMs })),
      ),
      replay: {
        dispatched: report.dispatched,
        dropped: report.dropped,
        late: report.late,
        maxSendLagMs: Math.round(report.maxSendLagMs),
        elapsedMs: Math.round(report.elapsedMs),
      },
      upstream: {
        requests: upstreamStats.requests,
        duringOutage: upstreamStats.duringOutage,
        outageMs: trace.outages.reduce((sum, o) => sum + o.endMs - o.startMs, 0),
      },
      client,
      gateway: gateway.stats().requests,
      slowDatabase: slow ? { ...slow, delayedChunks: proxy!.stats().delayedChunks } : null,
      indexScans,
      coldRequests: measured
        .filter((r) => r.result !== undefined && "coldStart" in r.result && r.result.coldStart)
        .map((r) => ({ atMs: r.request.atMs, endpoint: r.request.endpoint })),
      statements,
    };
  } finally {
    warmer?.stop();
    featuresStop.abort();
    await Promise.allSettled(featureRuns);
    await gateway.stop();
    await upstream.stop();
    await proxy?.stop();
    await Deno.remove(envPath).catch(() => {});
  }
}

/**
 * Runs every scenario `repeats` times on `trace`, interleaved, the order rotating each repeat so that drift
 * over the run favours no scenario; `onProgress` is told which run starts and how its replay goes.
 */
export async function runInterleaved(
  world: World,
  trace: Trace,
  specs: readonly ScenarioSpec[],
  repeats: number,
  options: RunOptions,
): Promise<ScenarioRun[]> {
  const runs: ScenarioRun[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const order = specs.map((_, i) => specs[(i + repeat) % specs.length]);
    for (const spec of order) {
      const label = `repeat ${repeat + 1}/${repeats}, ${spec.name}`;
      options.onProgress?.(label);
      runs.push(
        await runScenario(world, trace, spec, repeat, {
          ...options,
          onProgress: options.onProgress && ((text) => options.onProgress!(`${label}: ${text}`)),
        }),
      );
    }
  }
  return runs;
}
