/**
 * The figures of one scenario run, computed from the replay's records and the counters read around it.
 * Latency is what the user waited: from the request's scheduled time to its answer (open loop).
 */
import { median, nearestRankIndex, percentile, percentiles } from "../stats/percentile.ts";
import type { Outage } from "../trace/trace.ts";
import type { ReplayRecord } from "../trace/replay.ts";

/** What the harness's sender returns for a request that went out. */
export interface SentResult {
  status: number;
  coldStart: boolean;
  /** x-cache of the answer: "hit", "miss" or null when the route is not cached or the cache is off. */
  cache: "hit" | "miss" | null;
  /**
   * What stood in for a failed source: "stale-if-error" (x-cache), the app's x-fallback (e.g. "last-candle"),
   * or null for a normal answer.
   */
  fallback: string | null;
}

/** The sender's answer for a request the app would not have sent (say, a robot not created yet). */
export interface SkippedResult {
  skipped: string;
}

export type SendResult = SentResult | SkippedResult;

export interface LatencyFigures {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** p95 of the answered requests that did not wait for a worker to boot: the part indexes act on. */
  warmP95: number | null;
  /** Whether the request at the p95 rank waited for a worker to boot; null when none was answered. */
  p95Cold: boolean | null;
  /** Share of requests with an error the user sees: 5xx, no answer, or dropped by the replayer. */
  errorRate: number | null;
}

/** Counters read from Postgres, the gateway and the warmer around one run. */
export interface RunCounters {
  /** pg_stat_database: blks_hit / (blks_hit + blks_read) over the run; null when nothing was read. */
  sharedBufferHitRatio: number | null;
  /** pg_stat_statements total_exec_time of the app's statements over the run. */
  appDbTimeMs: number;
  /** The part of appDbTimeMs spent in insert, update and delete statements (index upkeep included). */
  appWriteDbTimeMs: number;
  /** Bytes of every index on the app's tables after the run, primary keys included. */
  appIndexBytes: number;
  /** pg_stat_statements total_exec_time of the suite's own statements (schema optimizer) over the run. */
  suiteDbTimeMs: number;
  /** Workers the gateway booted, per function. */
  workerBoots: Record<string, number>;
  /** Per function, the boots that reached listening and their summed time, as the gateway measured them. */
  workerBootTimes: Record<string, { ready: number; totalMs: number }>;
  warmPings: number;
}

export interface ScenarioFigures {
  overall: LatencyFigures;
  byEndpoint: Record<string, LatencyFigures>;
  coldStarts: { count: number; fraction: number | null };
  /** Median latency of answered requests that waited for a worker to boot, and of the others. */
  medianLatencyMs: { cold: number | null; warm: number | null };
  cacheHitRate: number | null;
  cacheLookups: number;
  /** Errors among the requests scheduled inside upstream outage windows. */
  outageErrorRate: number | null;
  outageRequests: number;
  /** p95 of the answered requests scheduled inside outage windows. */
  outageP95: number | null;
  /** Requests inside outage windows answered by a stand-in for the failed source, by SentResult.fallback. */
  outageFallbacks: Record<string, number>;
  /**
   * The longest time, over the outages, from an outage's end to the first quote answered by the quote
   * service after it (trace ms): how long users kept getting errors or stand-ins once the service was back.
   * Null when no quote followed an outage in the window.
   */
  recoveryMs: number | null;
  /** p95 and error rate of the requests scheduled while the database was slow (RunOptions.slowDatabase). */
  slowDatabase: { requests: number; p95: number | null; errorRate: number | null };
  skipped: number;
  late: number;
  counters: RunCounters;
}

type Record_ = ReplayRecord<SendResult>;

function isSkipped(record: Record_): boolean {
  return record.result !== undefined && "skipped" in record.result;
}

/** An error the user would see: the app answered 5xx, or the request got no answer at all. */
function userVisibleError(record: Record_): boolean {
  if (record.outcome !== "resolved") return true;
  const result = record.result as SentResult;
  return result.status >= 500;
}

function latencyFigures(records: Record_[]): LatencyFigures {
  const resolved = records.filter((r) => r.outcome === "resolved");
  const latencies = resolved.map((r) => r.latencyMs!);
  const cold = (r: Record_) => (r.result as SentResult).coldStart;
  const round = (n: number | null) => (n === null ? null : Number(n.toFixed(1)));
  const byLatency = [...resolved].sort((a, b) => a.latencyMs! - b.latencyMs!);
  const atP95 = byLatency.length === 0 ? undefined : byLatency[nearestRankIndex(byLatency.length, 95)];
  const p = percentiles(latencies, [50, 95, 99]);
  return {
    count: records.length,
    p50: round(p.get(50) ?? null),
    p95: round(p.get(95) ?? null),
    p99: round(p.get(99) ?? null),
    warmP95: round(percentile(resolved.filter((r) => !cold(r)).map((r) => r.latencyMs!), 95)),
    p95Cold: atP95 === undefined ? null : cold(atP95),
    errorRate: records.length === 0 ? null : records.filter(userVisibleError).length / records.length,
  };
}

function countFallbacks(records: Record_[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) {
    const fallback = record.outcome === "resolved" ? (record.result as SentResult).fallback : null;
    if (fallback !== null) counts[fallback] = (counts[fallback] ?? 0) + 1;
  }
  return counts;
}

/** Trace ms from the outage's end to the first quote after it answered 200 by the service itself, or null. */
function recoveryAfter(records: Record_[], outage: Outage): number | null {
  const recovered = records.filter((r) =>
    r.request.endpoint === "market.quote" && r.request.atMs >= outage.endMs && r.outcome === "resolved" &&
    (r.result as SentResult).status === 200 && (r.result as SentResult).fallback === null
  ).map((r) => r.request.atMs);
  return recovered.length === 0 ? null : Math.min(...recovered) - outage.endMs;
}

export function scenarioFigures(
  records: Record_[],
  outages: Outage[],
  late: number,
  counters: RunCounters,
  slowWindows: Outage[] = [],
): ScenarioFigures {
  const sent = records.filter((r) => !isSkipped(r));
  const byEndpoint: Record<string, Record_[]> = {};
  for (const record of sent) (byEndpoint[record.request.endpoint] ??= []).push(record);

  const resolved = sent.filter((r) => r.outcome === "resolved");
  const answered = resolved.map((r) => r.result as SentResult);
  const coldStarts = answered.filter((r) => r.coldStart).length;
  const lookups = answered.filter((r) => r.cache !== null);
  const hits = lookups.filter((r) => r.cache === "hit").length;
  const within = (windows: Outage[]) =>
    sent.filter((r) => windows.some((o) => r.request.atMs >= o.startMs && r.request.atMs < o.endMs));
  const inOutage = within(outages);
  const slow = latencyFigures(within(slowWindows));
  const recoveries = outages.map((o) => recoveryAfter(sent, o)).filter((ms) => ms !== null);

  return {
    overall: latencyFigures(sent),
    byEndpoint: Object.fromEntries(
      Object.entries(byEndpoint).sort(([a], [b]) => a.localeCompare(b)).map((
        [k, v],
      ) => [k, latencyFigures(v)]),
    ),
    coldStarts: { count: coldStarts, fraction: answered.length === 0 ? null : coldStarts / answered.length },
    medianLatencyMs: {
      cold: median(resolved.filter((r) => (r.result as SentResult).coldStart).map((r) => r.latencyMs!)),
      warm: median(resolved.filter((r) => !(r.result as SentResult).coldStart).map((r) => r.latencyMs!)),
    },
    cacheHitRate: lookups.length === 0 ? null : hits / lookups.length,
    cacheLookups: lookups.length,
    outageErrorRate: inOutage.length === 0
      ? null
      : inOutage.filter(userVisibleError).length / inOutage.length,
    outageRequests: inOutage.length,
    outageP95: latencyFigures(inOutage).p95,
    outageFallbacks: countFallbacks(inOutage),
    recoveryMs: recoveries.length === 0 ? null : Math.max(...recoveries),
    slowDatabase: { requests: slow.count, p95: slow.p95, errorRate: slow.errorRate },
    skipped: records.length - sent.length,
    late,
    counters,
  };
}
