/**
 * Latency and error summaries per endpoint and overall, as the harness reports them: count, nearest-rank
 * p50 / p95 / p99 (percentile.ts) and the error rate. A sample without a latency (a request that was dropped
 * or never answered) still counts in the count and, if not ok, as an error.
 */
import { percentileOfSorted, sortedSamples } from "./percentile.ts";

export interface Sample {
  /** Endpoint or any other grouping. */
  group: string;
  latencyMs: number | null;
  ok: boolean;
}

export interface LatencySummary {
  count: number;
  /** Samples with a latency: the base of the percentiles. */
  measured: number;
  errors: number;
  /** errors / count; null for no samples. */
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
  max: number | null;
}

export function summarize(samples: Iterable<Sample>): LatencySummary {
  let count = 0, errors = 0, sum = 0;
  const latencies: number[] = [];
  for (const sample of samples) {
    count++;
    if (!sample.ok) errors++;
    if (sample.latencyMs !== null) {
      latencies.push(sample.latencyMs);
      sum += sample.latencyMs;
    }
  }
  const sorted = sortedSamples(latencies);
  return {
    count,
    measured: sorted.length,
    errors,
    errorRate: count > 0 ? errors / count : null,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    mean: sorted.length > 0 ? sum / sorted.length : null,
    max: sorted.length > 0 ? sorted[sorted.length - 1] : null,
  };
}

export interface GroupedSummary {
  overall: LatencySummary;
  /** Groups in name order. */
  byGroup: Record<string, LatencySummary>;
}

export function summarizeByGroup(samples: Iterable<Sample>): GroupedSummary {
  const all: Sample[] = [];
  const groups = new Map<string, Sample[]>();
  for (const sample of samples) {
    all.push(sample);
    const group = groups.get(sample.group);
    if (group) group.push(sample);
    else groups.set(sample.group, [sample]);
  }
  const byGroup: Record<string, LatencySummary> = {};
  for (const name of [...groups.keys()].sort()) byGroup[name] = summarize(groups.get(name)!);
  return { overall: summarize(all), byGroup };
}
