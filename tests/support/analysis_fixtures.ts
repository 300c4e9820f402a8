/**
 * Constructed inputs of the analyzers' pure cores: per-minute series built through seriesFromRollups, as the
 * adapters build them from rollup rows.
 */
import { histogramFrom } from "../../shared/metrics/latency_histogram.ts";
import type { MetricSystem } from "../../shared/metrics/metric_event.ts";
import { type MetricSeriesRow, seriesFromRollups } from "../../shared/metrics/series.ts";
import { type TargetSeries, windowHistogram } from "../../shared/analyze/target_series.ts";
import { FindingSchema, type Window } from "../../shared/finding/finding.ts";
import type { AnalysisResult } from "../../shared/recommendations/analyzer.ts";
import { MINUTE_MS } from "../../shared/time.ts";

/** The analysis window of the fixtures: 60 minutes from 12:00 UTC. */
export const fixtureFrom = new Date("2026-01-05T12:00:00Z");
export const fixtureMinutes = 60;
export const fixtureWindow: Window = {
  from: fixtureFrom.toISOString(),
  to: new Date(fixtureFrom.getTime() + fixtureMinutes * MINUTE_MS).toISOString(),
};
export const fixturePreviousWindow: Window = {
  from: new Date(fixtureFrom.getTime() - fixtureMinutes * MINUTE_MS).toISOString(),
  to: fixtureFrom.toISOString(),
};

/** One minute's figures: counts and the latencies observed (each latency one event). */
export interface MinuteFigures {
  count?: number;
  errors?: number;
  coldStarts?: number;
  hits?: number;
  misses?: number;
  latencies?: number[];
}

/** A rollup row of `figures` starting at `start`. */
export function rollupRow(start: Date, figures: MinuteFigures): MetricSeriesRow {
  const latencies = figures.latencies ?? [];
  const hits = figures.hits ?? 0;
  const misses = figures.misses ?? 0;
  return {
    bucket_start: start,
    count: figures.count ?? Math.max(latencies.length, hits + misses),
    errors: figures.errors ?? 0,
    cold_starts: figures.coldStarts ?? 0,
    hits,
    misses,
    latency_count: latencies.length,
    latency_sum: latencies.length ? latencies.reduce((a, b) => a + b, 0) : null,
    latency_min: latencies.length ? Math.min(...latencies) : null,
    latency_max: latencies.length ? Math.max(...latencies) : null,
    histogram: histogramFrom(latencies),
  };
}

/**
 * A target's series over the fixture window: minute i has `minute(i)`; the previous window is one summary
 * of `previous`.
 */
export function targetSeries(
  system: MetricSystem,
  target: string,
  kind: string,
  minute: (i: number) => MinuteFigures,
  previous: MinuteFigures = {},
): TargetSeries {
  const window = {
    from: fixtureFrom,
    to: new Date(fixtureFrom.getTime() + fixtureMinutes * MINUTE_MS),
    bucketSeconds: 60,
  };
  const rows = Array.from(
    { length: fixtureMinutes },
    (_, i) => rollupRow(new Date(fixtureFrom.getTime() + i * MINUTE_MS), minute(i)),
  );
  const previousFrom = new Date(fixtureFrom.getTime() - fixtureMinutes * MINUTE_MS);
  const previousWindow = { from: previousFrom, to: fixtureFrom, bucketSeconds: fixtureMinutes * 60 };
  return {
    system,
    target,
    kind,
    current: seriesFromRollups(rows, window),
    latencies: windowHistogram(rows),
    previous: seriesFromRollups([rollupRow(previousFrom, previous)], previousWindow).summary,
  };
}

/** `n` latencies spread evenly from `low` to `high` ms. */
export function spread(n: number, low: number, high: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? low : low + ((high - low) * i) / (n - 1)));
}

/**
 * What `result` says of `rule`: its finding (if it fired) and the reasons it was rejected. Every finding of the
 * result is checked against FindingSchema on the way.
 */
export function ruleOutcome(result: AnalysisResult, rule: string) {
  for (const finding of result.findings) FindingSchema.parse(finding);
  return {
    finding: result.findings.find((f) => f.rule === rule),
    reasons: result.rejected.filter((r) => r.rule === rule).map((r) => r.reason),
  };
}
