import type { Sql } from "../db/client.ts";
import { createMetricStore, type MetricStore } from "../metrics/metric_store.ts";
import type { MetricSystem } from "../metrics/metric_event.ts";
import { type Histogram, mergeHistograms } from "../metrics/latency_histogram.ts";
import { type MetricSeriesRow, type Series, seriesFromRollups, type SeriesStats } from "../metrics/series.ts";
import type { AnalysisWindows } from "./analysis_window.ts";

/**
 * Postgres adapter shared by the cache, edge and correlation analyzers: the series of each target of one
 * system and kind, read through the metric store (optimizer.metric_series_rows) like `GET /metrics` reads
 * them, so that an analyzer sees exactly the figures a chart shows.
 */

/** One target's figures: its series over the analysis window and the summary of the window before. */
export interface TargetSeries {
  /** The events' system. */
  system: MetricSystem;
  /** The target, e.g. a cache namespace or a function's name. */
  target: string;
  /** The events' kind, e.g. `lookup` or `request`. */
  kind: string;
  /** The analysis window in buckets (windows.current). */
  current: Series;
  /** The window before it as one summary (windows.previous). */
  previous: SeriesStats;
  /** The latencies of the analysis window as one histogram (latency_histogram.ts). */
  latencies: Histogram;
}

/** What loadTargetSeries() read. */
export interface LoadedTargets {
  /** The busiest targets, most events first. */
  series: TargetSeries[];
  /** Targets left out beyond `maxTargets` (the quietest). */
  omitted: number;
  /** Targets listed but not read because the deadline passed (the quietest of those listed). */
  unread: number;
}

/**
 * The `limit` targets of `system` and `kind` with the most events over [from, to), busiest first, and how many
 * targets had events there in all. Listed from the hourly rollups (a few rows per target and hour, where the
 * minutes hold sixty); an hour row covers the hours the window overlaps, so a target seen only just outside
 * it is listed too.
 */
export async function busiestTargets(
  sql: Sql,
  filter: { system: MetricSystem; kind: string },
  from: Date,
  to: Date,
  limit: number,
): Promise<{ targets: string[]; total: number }> {
  const listed = await sql<{ target: string; targets: string }[]>`
    select h.target, count(*) over () as targets -- over the groups: every target, before the limit
    from optimizer.metric_rollups_hourly h
    where h.system = ${filter.system} and h.kind = ${filter.kind}
      and h.hour >= date_trunc('hour', ${from.toISOString()}::timestamptz)
      and h.hour < ${to.toISOString()}::timestamptz
    group by h.target
    order by sum(h.count) desc, h.target
    limit ${limit}`;
  return {
    targets: listed.map((row) => row.target),
    total: listed.length > 0 ? Number(listed[0].targets) : 0,
  };
}

/**
 * The series of the `maxTargets` busiest targets of `system` and `kind` over both windows (busiestTargets()),
 * busiest first, until `deadline` (epoch ms) passes; a target listed from an hour row it only just overlaps
 * reads as empty.
 */
export async function loadTargetSeries(
  sql: Sql,
  windows: AnalysisWindows,
  filter: { system: MetricSystem; kind: string },
  maxTargets: number,
  deadline = Infinity,
): Promise<LoadedTargets> {
  const { targets, total } = await busiestTargets(
    sql,
    filter,
    windows.previous.from,
    windows.current.to,
    maxTargets,
  );
  const omitted = total - targets.length;
  const store = createMetricStore(sql);
  const series: TargetSeries[] = [];
  for (const target of targets) {
    if (Date.now() >= deadline) break;
    series.push(await readSeries(store, windows, { ...filter, target }));
  }
  return { series, omitted, unread: targets.length - series.length };
}

/** Notes on what a load left out: quieter targets beyond maxTargets, and targets the deadline cut off. */
export function loadNotes(loaded: LoadedTargets, what: string, maxTargets: number): string[] {
  const notes: string[] = [];
  if (loaded.omitted > 0) {
    notes.push(`${loaded.omitted} quieter ${what} were not analyzed (maxTargets ${maxTargets})`);
  }
  if (loaded.unread > 0) notes.push(`${loaded.unread} ${what} were not read: the run's deadline passed`);
  return notes;
}

/** The rows' latency histograms merged into one. */
export function windowHistogram(rows: readonly MetricSeriesRow[]): Histogram {
  return mergeHistograms(
    ...rows.map((row) =>
      typeof row.histogram === "string" ? JSON.parse(row.histogram) as Histogram : row.histogram
    ),
  );
}

/**
 * One series of all targets of `system` and `kind` together (e.g. every statement's latency as the
 * database's), as a TargetSeries whose target is `*`.
 */
export function loadSystemSeries(
  sql: Sql,
  windows: AnalysisWindows,
  filter: { system: MetricSystem; kind: string },
): Promise<TargetSeries> {
  return readSeries(createMetricStore(sql), windows, filter);
}

/** One target's (or, without target, the system's) series over both windows. */
async function readSeries(
  store: MetricStore,
  windows: AnalysisWindows,
  filter: { system: MetricSystem; kind: string; target?: string },
): Promise<TargetSeries> {
  const current = { ...windows.current, ...filter };
  // The previous window as one bucket: only its summary is compared.
  const previous = {
    ...windows.previous,
    bucketSeconds: (windows.previous.to.getTime() - windows.previous.from.getTime()) / 1000,
    ...filter,
  };
  const rows = await store.series(current);
  return {
    system: filter.system,
    kind: filter.kind,
    target: filter.target ?? "*",
    current: seriesFromRollups(rows, current),
    latencies: windowHistogram(rows),
    previous: seriesFromRollups(await store.series(previous), previous).summary,
  };
}
