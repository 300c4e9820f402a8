/**
 * The comparison report: per scenario the median over repeats with its min–max spread, ratios against
 * `baseline` and each peer computed from runs paired by repeat index, and markdown tables of all of it.
 */
import { formatRatio, type PairedRatio, pairedRatio } from "../stats/paired.ts";
import { median } from "../stats/percentile.ts";
import { outageCallsPer10s } from "./reliability.ts";
import type { ScenarioRun } from "./scenario.ts";

/**
 * A figure read from one run; null when the run has none (e.g. no cache lookups). `ratio`: lower is better
 * and a ratio between scenarios says something (not so for hit rates or ping counts).
 */
type Metric = {
  name: string;
  unit: string;
  of: (run: ScenarioRun) => number | null;
  digits: number;
  ratio?: boolean;
};

export const comparedMetrics: Metric[] = [
  { name: "p50", ratio: true, unit: "ms", of: (r) => r.figures.overall.p50, digits: 1 },
  { name: "p95", ratio: true, unit: "ms", of: (r) => r.figures.overall.p95, digits: 1 },
  { name: "p99", ratio: true, unit: "ms", of: (r) => r.figures.overall.p99, digits: 1 },
  { name: "cold starts", ratio: true, unit: "", of: (r) => r.figures.coldStarts.count, digits: 0 },
  { name: "cold-start fraction", unit: "", of: (r) => r.figures.coldStarts.fraction, digits: 4 },
  { name: "app cache hit rate", unit: "", of: (r) => r.figures.cacheHitRate, digits: 3 },
  {
    name: "shared-buffer hit ratio",
    unit: "",
    of: (r) => r.figures.counters.sharedBufferHitRatio,
    digits: 4,
  },
  { name: "app DB time", ratio: true, unit: "ms", of: (r) => r.figures.counters.appDbTimeMs, digits: 0 },
  {
    name: "app write DB time",
    ratio: true,
    unit: "ms",
    of: (r) => r.figures.counters.appWriteDbTimeMs,
    digits: 0,
  },
  {
    name: "app index size",
    ratio: true,
    unit: "MB",
    of: (r) => r.figures.counters.appIndexBytes / 2 ** 20,
    digits: 1,
  },
  { name: "error rate", ratio: true, unit: "", of: (r) => r.figures.overall.errorRate, digits: 4 },
  { name: "error rate in outages", ratio: true, unit: "", of: (r) => r.figures.outageErrorRate, digits: 4 },
  { name: "p95 in outages", ratio: true, unit: "ms", of: (r) => r.figures.outageP95, digits: 1 },
  {
    name: "stand-in answers in outages",
    unit: "",
    of: (r) => Object.values(r.figures.outageFallbacks).reduce((sum, n) => sum + n, 0),
    digits: 0,
  },
  {
    name: "quote service calls per 10 s of outage",
    unit: "",
    of: outageCallsPer10s,
    digits: 2,
  },
  {
    name: "p95 with a slow database",
    ratio: true,
    unit: "ms",
    of: (r) => r.figures.slowDatabase.p95,
    digits: 1,
  },
  {
    name: "recovery after outages",
    unit: "s",
    of: (r) => r.figures.recoveryMs === null ? null : r.figures.recoveryMs / 1000,
    digits: 1,
  },
  { name: "warm pings", unit: "", of: (r) => r.figures.counters.warmPings, digits: 0 },
];

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
  runs: number;
}

function spreadOf(values: (number | null)[]): Spread {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return {
    median: present.length === 0 ? null : median(present),
    min: present.length === 0 ? null : Math.min(...present),
    max: present.length === 0 ? null : Math.max(...present),
    runs: present.length,
  };
}

export interface ComparisonReport {
  scenarios: string[];
  /** scenario -> metric -> spread over repeats. */
  summary: Record<string, Record<string, Spread>>;
  /** scenario -> endpoint -> p95 spread. */
  endpointP95: Record<string, Record<string, Spread>>;
  /** scenario -> endpoint -> spread of the p95 of requests that did not wait for a worker boot. */
  endpointWarmP95: Record<string, Record<string, Spread>>;
  /** scenario -> endpoint -> runs whose p95 request waited for a worker boot. */
  endpointP95Cold: Record<string, Record<string, number>>;
  /** `${scenario} / ${reference}` -> metric -> paired ratio. */
  ratios: Record<string, Record<string, PairedRatio>>;
}

export function compareRuns(
  runs: ScenarioRun[],
  scenarios: string[],
  references: string[],
): ComparisonReport {
  const of = (scenario: string) => runs.filter((r) => r.scenario === scenario);
  const summary: ComparisonReport["summary"] = {};
  const endpointP95: ComparisonReport["endpointP95"] = {};
  const endpointWarmP95: ComparisonReport["endpointWarmP95"] = {};
  const endpointP95Cold: ComparisonReport["endpointP95Cold"] = {};
  for (const scenario of scenarios) {
    summary[scenario] = Object.fromEntries(
      comparedMetrics.map((m) => [m.name, spreadOf(of(scenario).map(m.of))]),
    );
    const endpoints = new Set(of(scenario).flatMap((r) => Object.keys(r.figures.byEndpoint)));
    const perEndpoint = <T>(value: (e: string) => T) =>
      Object.fromEntries([...endpoints].sort().map((e) => [e, value(e)]));
    endpointP95[scenario] = perEndpoint((e) =>
      spreadOf(of(scenario).map((r) => r.figures.byEndpoint[e]?.p95 ?? null))
    );
    endpointWarmP95[scenario] = perEndpoint((e) =>
      spreadOf(of(scenario).map((r) => r.figures.byEndpoint[e]?.warmP95 ?? null))
    );
    endpointP95Cold[scenario] = perEndpoint((e) =>
      of(scenario).filter((r) => r.figures.byEndpoint[e]?.p95Cold === true).length
    );
  }
  const ratios: ComparisonReport["ratios"] = {};
  for (const reference of references) {
    for (const scenario of scenarios.filter((s) => s !== reference)) {
      ratios[`${scenario} / ${reference}`] = Object.fromEntries(
        comparedMetrics.filter((m) => m.ratio).map((m) => {
          const values = (name: string) =>
            of(name).map((r) => ({ repeat: r.repeat, value: m.of(r) })).filter((v) => v.value !== null) as {
              repeat: number;
              value: number;
            }[];
          return [m.name, pairedRatio(values(reference), values(scenario))];
        }),
      );
    }
  }
  return { scenarios, summary, endpointP95, endpointWarmP95, endpointP95Cold, ratios };
}

function cell(spread: Spread, digits: number): string {
  if (spread.median === null) return "–";
  const f = (v: number) => v.toFixed(digits);
  return spread.runs > 1 && spread.min !== spread.max
    ? `${f(spread.median)} (${f(spread.min!)}–${f(spread.max!)})`
    : f(spread.median);
}

export function comparisonMarkdown(report: ComparisonReport): string {
  const lines: string[] = [];
  const header = (cols: string[]) => [`| ${cols.join(" | ")} |`, `| ${cols.map(() => "---").join(" | ")} |`];
  lines.push("Median over repeats, (min–max) where runs differ.", "");
  lines.push(...header(["metric", ...report.scenarios]));
  for (const metric of comparedMetrics) {
    const label = metric.unit ? `${metric.name} (${metric.unit})` : metric.name;
    lines.push(
      `| ${label} | ${
        report.scenarios.map((s) => cell(report.summary[s][metric.name], metric.digits)).join(" | ")
      } |`,
    );
  }
  lines.push("", "p95 per endpoint (ms):", "");
  const endpoints = [...new Set(report.scenarios.flatMap((s) => Object.keys(report.endpointP95[s])))].sort();
  lines.push(...header(["endpoint", ...report.scenarios]));
  for (const endpoint of endpoints) {
    lines.push(
      `| ${endpoint} | ${
        report.scenarios.map((s) => cell(report.endpointP95[s][endpoint] ?? spreadOf([]), 1)).join(" | ")
      } |`,
    );
  }
  lines.push(
    "",
    "Ratios from paired runs (scenario / reference; median, min–max over pairs; below 1 is better):",
    "",
  );
  const metrics = Object.keys(Object.values(report.ratios)[0] ?? {});
  lines.push(...header(["comparison", ...metrics]));
  for (const [comparison, byMetric] of Object.entries(report.ratios)) {
    lines.push(`| ${comparison} | ${metrics.map((m) => formatRatio(byMetric[m])).join(" | ")} |`);
  }
  return lines.join("\n");
}
