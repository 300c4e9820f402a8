/**
 * What the suite itself costs, measured on a stack of its own (a temporary data folder and free ports, so
 * the user's metric store is neither read nor polluted):
 * - cold-start time of each of our functions (first request to a new worker, repeated),
 * - ingest throughput, with the metrics worker's memory (RSS) sampled under that load,
 * - the time of a series query and of status as raw events grow, which must follow rollup buckets, not rows.
 */
import postgres from "postgres";
import { startGateway, startStack } from "../../scripts/stack/mod.ts";
import { freePorts } from "../../scripts/stack/ports.ts";
import { runIngestLoad } from "./ingest_load.ts";
import { percentile } from "../stats/percentile.ts";
import { HOUR_MS } from "../../shared/time.ts";

export interface SuiteCostOptions {
  /** Raw event counts at which series and status are timed (cumulative). */
  eventVolumes: number[];
  /** Fresh workers started per function for the cold-start figure. */
  coldStartRepeats: number;
  /** Timed calls per query and volume; the median is reported. */
  queryRepeats: number;
  ingestSeconds: number;
  onPhase?: (phase: string) => void;
}

export const suiteCostDefaults: SuiteCostOptions = {
  eventVolumes: [100_000, 1_000_000, 10_000_000],
  coldStartRepeats: 5,
  queryRepeats: 7,
  ingestSeconds: 15,
};

export const suiteCostQuick: Partial<SuiteCostOptions> = {
  eventVolumes: [100_000, 1_000_000],
  coldStartRepeats: 3,
  queryRepeats: 5,
  ingestSeconds: 5,
};

const ourFunctions = ["metrics", "status"] as const;

export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number;
}

export interface VolumeFigures {
  rawEvents: number;
  rollupRows: number;
  /** Time to roll up the events added for this step. */
  rollupMs: number;
  /** GET metrics over the last 24 h in 5-minute buckets, all targets. */
  series24hMs: Spread;
  /** GET metrics over 13 days in 1-hour buckets, all targets. */
  series13dMs: Spread;
  statusMs: Spread;
}

export interface SuiteCosts {
  coldStartMs: Record<string, Spread>;
  ingest: { eventsPerSecond: number; p50Ms: number; p99Ms: number; failedRequests: number };
  rssMb: Record<string, Spread>;
  volumes: VolumeFigures[];
}

function spread(samples: number[]): Spread {
  const round = (n: number) => Number(n.toFixed(1));
  return {
    median: round(percentile(samples, 50) ?? 0),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    samples: samples.length,
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Resident memory of a process in MB, from /proc (Linux). */
async function rssMb(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples the RSS of a function's live workers every 250 ms until stopped. */
function sampleRss(workers: () => { function: string; pid: number }[], fn: string) {
  const samples: number[] = [];
  const timer = setInterval(async () => {
    for (const worker of workers().filter((w) => w.function === fn)) {
      const mb = await rssMb(worker.pid);
      if (mb !== null) samples.push(mb);
    }
  }, 250);
  return () => {
    clearInterval(timer);
    return samples;
  };
}

/**
 * Adds `count` events spread over the last 13 days across 10 targets (a project's functions), a million per
 * statement, under the ingest lock like every other writer (the rollup's exactly-once watermark relies on it).
 * With a fixed set of targets the rollup rows stop growing once every minute has its rows, while raw events
 * keep growing: what a series costs then shows whether it follows buckets or raw rows.
 */
async function addEvents(sql: postgres.Sql, count: number, now: Date): Promise<void> {
  const chunk = 1_000_000;
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done);
    await sql.begin(async (tx) => {
      await tx`select pg_catalog.pg_advisory_xact_lock_shared(8061130001)`;
      await tx`
        insert into optimizer.metric_events
          (occurred_at, system, target, kind, latency_ms, error, cold_start, cache_hit, attrs, reporter)
        select ${now}::timestamptz - (random() * interval '13 days'),
               'edge', 'suite-cost-' || (i % 10), 'request',
               exp(ln(40) + 0.8 * (random() + random() + random() - 1.5)),
               i % 97 = 0, i % 211 = 0, null, '{}'::jsonb, 'bench:suite-costs'
        from generate_series(1, ${n}) as i`;
    });
  }
}

export async function measureSuiteCosts(partial: Partial<SuiteCostOptions> = {}): Promise<SuiteCosts> {
  const options = { ...suiteCostDefaults, ...partial };
  if (options.eventVolumes.some((v, i) => !(v >= 1) || (i > 0 && v <= options.eventVolumes[i - 1]))) {
    throw new Error(`eventVolumes must be increasing counts >= 1: got ${options.eventVolumes.join(", ")}`);
  }
  const phase = options.onPhase ?? (() => {});
  const stackDir = await Deno.makeTempDir({ prefix: "autopilot-suite-costs-" });
  await Deno.chmod(stackDir, 0o755);
  const [gatewayPort, pgPort] = freePorts(2, 57_000);
  phase("suite costs: starting a stack of its own");
  const stack = await startStack({ stackDir, gatewayPort, pgPort, log: () => {} });
  const sql = postgres(stack.env.SUPABASE_DB_URL, { prepare: false, max: 1, onnotice: () => {} });
  const secret = { apikey: stack.env.SUPABASE_SECRET_KEY };
  try {
    phase("suite costs: cold starts");
    const coldStartMs: Record<string, Spread> = {};
    for (const fn of ourFunctions) {
      const samples: number[] = [];
      for (let i = 0; i < options.coldStartRepeats; i++) {
        const gateway = await startGateway({
          port: 0,
          stackDir,
          dbUrl: stack.env.SUPABASE_DB_URL,
          log: () => {},
        });
        try {
          samples.push(
            await timed(async () => {
              const response = await fetch(`${gateway.url}/functions/v1/${fn}`, {
                headers: { "x-warmup": "1" },
              });
              await response.body?.cancel();
            }),
          );
        } finally {
          await gateway.stop();
        }
      }
      coldStartMs[fn] = spread(samples);
    }

    phase("suite costs: ingest throughput and memory under load");
    const workers = () => stack.gateway.stats().workers;
    const stopMetricsRss = sampleRss(workers, "metrics");
    const ingest = await runIngestLoad({
      url: `${stack.env.SUPABASE_URL}/functions/v1/metrics`,
      apiKey: stack.env.SUPABASE_SECRET_KEY,
      clients: 8,
      batch: 500,
      seconds: options.ingestSeconds,
      warmupSeconds: 2,
      targetPrefix: "suite-cost-ingest-",
    });
    const rssMetrics = stopMetricsRss();
    const stopStatusRss = sampleRss(workers, "status");
    const statusUntil = performance.now() + options.ingestSeconds * 1000;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (performance.now() < statusUntil) {
        await (await fetch(`${stack.env.SUPABASE_URL}/functions/v1/status`, { headers: secret })).body
          ?.cancel();
      }
    }));
    const rssStatus = stopStatusRss();
    await sql`delete from optimizer.metric_events`;
    await sql`select optimizer.rollup_metrics('manual')`;
    await sql`delete from optimizer.metric_rollups`;

    const volumes: VolumeFigures[] = [];
    let present = 0;
    for (const volume of options.eventVolumes) {
      phase(`suite costs: series and status at ${volume.toLocaleString("en")} raw events`);
      const now = new Date();
      await addEvents(sql, volume - present, now);
      present = volume;
      const rollupMs = await timed(() => sql`select optimizer.rollup_metrics('manual')`);
      await sql`analyze optimizer.metric_events`;
      const [{ rollup_rows }] = await sql`select count(*)::int as rollup_rows from optimizer.metric_rollups`;
      const query = (hours: number, bucket: string) =>
        new URLSearchParams({
          from: new Date(now.getTime() - hours * HOUR_MS).toISOString(),
          to: now.toISOString(),
          bucket,
        });
      const call = (path: string) => async () => {
        const response = await fetch(`${stack.env.SUPABASE_URL}/functions/v1/${path}`, { headers: secret });
        if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
        await response.body?.cancel();
      };
      const repeat = async (fn: () => Promise<unknown>) => {
        await fn(); // first call warms the worker and the plan; not counted
        const samples = [];
        for (let i = 0; i < options.queryRepeats; i++) samples.push(await timed(fn));
        return spread(samples);
      };
      volumes.push({
        rawEvents: volume,
        rollupRows: rollup_rows,
        rollupMs: Number(rollupMs.toFixed(0)),
        series24hMs: await repeat(call(`metrics?${query(24, "5m")}`)),
        series13dMs: await repeat(call(`metrics?${query(13 * 24, "1h")}`)),
        statusMs: await repeat(call("status")),
      });
    }
    return {
      coldStartMs,
      ingest: {
        eventsPerSecond: ingest.eventsPerSecond,
        p50Ms: ingest.p50Ms,
        p99Ms: ingest.p99Ms,
        failedRequests: ingest.failedRequests,
      },
      rssMb: { metrics: spread(rssMetrics), status: spread(rssStatus) },
      volumes,
    };
  } finally {
    await sql.end();
    await stack.stop();
    await Deno.remove(stackDir, { recursive: true });
  }
}
