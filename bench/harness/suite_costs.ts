/**
 * What the suite itself costs, measured on a stack of its own (a temporary data folder and free ports, so
 * the user's metric store is neither read nor polluted):
 * - cold-start time of each of our functions (first request to a new worker, repeated),
 * - ingest throughput, with the metrics worker's memory (RSS) sampled under that load,
 * - the time of a series query and of status as raw events grow, which must follow rollup buckets, not rows,
 *   and how far the series' percentiles are from the exact percentiles of the raw events.
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
  /** Rows of the minute tier (metric_rollups). */
  rollupRows: number;
  /** Rows of the 5-minute tier (metric_rollups_5min). */
  fiveMinuteRollupRows: number;
  /** Rows of the hour tier (metric_rollups_hourly). */
  hourlyRollupRows: number;
  /** Time to roll up the events added for this step. */
  rollupMs: number;
  /** GET metrics over the last 24 h in 5-minute buckets, all targets (read from 5-minute rows). */
  series24hMs: Spread;
  /** GET metrics over 13 days in 1-hour buckets, all targets (read from hour rows). */
  series13dMs: Spread;
  /** Largest relative error of the 24 h series' p50, p95 and p99 (whole window) against the raw events'. */
  series24hPercentileError: number;
  /** The same for the 13-day series. */
  series13dPercentileError: number;
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

type SeriesAnswer = { from: string; to: string; summary: Record<string, number | null> };

/**
 * Largest relative error of a series' whole-window p50, p95 and p99 against the exact (nearest-rank)
 * percentiles of the same events, computed by Postgres over every raw event in the window that the rollups
 * hold (id up to the rollup watermark). The functions report their own requests as events while the series
 * is read, and pg_cron rolls them up every minute: the series is read again until no rollup ran meanwhile.
 */
async function percentileError(sql: postgres.Sql, readSeries: () => Promise<SeriesAnswer>): Promise<number> {
  const watermark = async () =>
    String((await sql`select last_event_id from optimizer.rollup_state where id`)[0].last_event_id);
  let before = await watermark();
  let series = await readSeries();
  for (let attempt = 0; attempt < 5 && (await watermark()) !== before; attempt++) {
    before = await watermark();
    series = await readSeries();
  }
  const [{ exact }] = await sql<{ exact: number[] }[]>`
    select percentile_disc(array[0.5, 0.95, 0.99]) within group (order by latency_ms) as exact
    from optimizer.metric_events
    where occurred_at >= ${series.from}::timestamptz and occurred_at < ${series.to}::timestamptz
      and id <= ${before}::bigint and latency_ms is not null`;
  const estimates = [series.summary.p50, series.summary.p95, series.summary.p99];
  return Math.max(...exact.map((value, i) => Math.abs((estimates[i] ?? NaN) - value) / value));
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
    for (const tier of await sql`select table_name from optimizer.rollup_tiers()`) {
      await sql`delete from ${sql("optimizer." + tier.table_name)}`;
    }

    const volumes: VolumeFigures[] = [];
    let present = 0;
    for (const volume of options.eventVolumes) {
      phase(`suite costs: series and status at ${volume.toLocaleString("en")} raw events`);
      const now = new Date();
      await addEvents(sql, volume - present, now);
      present = volume;
      const rollupMs = await timed(() => sql`select optimizer.rollup_metrics('manual')`);
      await sql`analyze optimizer.metric_events`;
      const [{ rollup_rows, five_minute_rollup_rows, hourly_rollup_rows }] = await sql`
        select (select count(*)::int from optimizer.metric_rollups) as rollup_rows,
               (select count(*)::int from optimizer.metric_rollups_5min) as five_minute_rollup_rows,
               (select count(*)::int from optimizer.metric_rollups_hourly) as hourly_rollup_rows`;
      const query = (hours: number, bucket: string) =>
        new URLSearchParams({
          from: new Date(now.getTime() - hours * HOUR_MS).toISOString(),
          to: now.toISOString(),
          bucket,
        });
      const call = (path: string) => async () => {
        const response = await fetch(`${stack.env.SUPABASE_URL}/functions/v1/${path}`, { headers: secret });
        if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
        return await response.json();
      };
      const repeat = async (fn: () => Promise<unknown>) => {
        await fn(); // first call warms the worker and the plan; not counted
        const samples = [];
        for (let i = 0; i < options.queryRepeats; i++) samples.push(await timed(fn));
        return spread(samples);
      };
      const series24h = call(`metrics?${query(24, "5m")}`);
      const series13d = call(`metrics?${query(13 * 24, "1h")}`);
      volumes.push({
        rawEvents: volume,
        rollupRows: rollup_rows,
        fiveMinuteRollupRows: five_minute_rollup_rows,
        hourlyRollupRows: hourly_rollup_rows,
        rollupMs: Number(rollupMs.toFixed(0)),
        series24hMs: await repeat(series24h),
        series13dMs: await repeat(series13d),
        series24hPercentileError: await percentileError(sql, series24h),
        series13dPercentileError: await percentileError(sql, series13d),
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

const spreadText = (x: Spread) => `${x.median} (${x.min}–${x.max})`;
const errorText = (e: number) => `${(e * 100).toFixed(2)} %`;

/**
 * The series table: per raw-event volume and series, the time of GET metrics (median (min–max) of the timed
 * calls, ms) and the largest p50/p95/p99 error against the raw events' exact percentiles.
 */
export function seriesCostsMarkdown(volumes: readonly VolumeFigures[]): string {
  const rows = volumes.flatMap((v) => [
    [v.rawEvents, "24 h / 5-min buckets (5-minute rows)", v.series24hMs, v.series24hPercentileError] as const,
    [v.rawEvents, "13 d / 1-h buckets (hour rows)", v.series13dMs, v.series13dPercentileError] as const,
  ]);
  return [
    "| raw events | series | time (ms), median (min–max) | runs | max p50/p95/p99 error vs exact |",
    "| ---: | --- | ---: | ---: | ---: |",
    ...rows.map(([events, kind, ms, error]) =>
      `| ${events.toLocaleString("en")} | ${kind} | ${spreadText(ms)} | ${ms.samples} | ${errorText(error)} |`
    ),
  ].join("\n");
}

/** Everything measureSuiteCosts() measured, as Markdown. */
export function suiteCostsMarkdown(c: SuiteCosts): string {
  return [
    `- Cold start (first request to a new worker, median (min–max)): ${
      Object.entries(c.coldStartMs).map(([fn, v]) => `\`${fn}\` ${spreadText(v)} ms`).join(", ")
    }.`,
    `- Ingest: ${
      c.ingest.eventsPerSecond.toLocaleString("en")
    } events/s (p50 ${c.ingest.p50Ms} ms, p99 ${c.ingest.p99Ms} ms per 500-event request, ${c.ingest.failedRequests} failed).`,
    `- Memory (RSS) under load: ${
      Object.entries(c.rssMb).map(([fn, v]) => `\`${fn}\` ${spreadText(v)} MB`).join(", ")
    }.`,
    "",
    "| raw events | minute rows | 5-minute rows | hour rows | rollup (ms) | status (ms) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...c.volumes.map((v) =>
      `| ${v.rawEvents.toLocaleString("en")} | ${v.rollupRows.toLocaleString("en")} | ${
        v.fiveMinuteRollupRows.toLocaleString("en")
      } | ${v.hourlyRollupRows.toLocaleString("en")} | ${v.rollupMs} | ${spreadText(v.statusMs)} |`
    ),
    "",
    seriesCostsMarkdown(c.volumes),
  ].join("\n");
}
