import type { Analyzer, AnalyzerReport } from "../../shared/mod.ts";

/**
 * Which analyzers `npm run advise` runs against a database. The cache, edge, breaker, warm budget and
 * correlation analyzers read the suite's metric store (optimizer.metric_rollups, metric_events, db_snapshots,
 * the warmer's runs and pings), which only a database with the suite's migrations has; without schema `optimizer` they are skipped with a note. The others read
 * the catalog and the workload (shared/workload/, which falls back to pg_stat_statements).
 */

/** The analyzers that need the suite's metric store. */
export const metricStoreAnalyzers: readonly string[] = [
  "cache",
  "edge",
  "breakers",
  "warm-budget",
  "correlation",
];

/** Pure: the analyzers to run, and a skipped report for each that cannot run here. */
export function planAnalyzers(
  analyzers: readonly Analyzer[],
  hasOptimizerSchema: boolean,
): { run: Analyzer[]; skipped: AnalyzerReport[] } {
  const run: Analyzer[] = [];
  const skipped: AnalyzerReport[] = [];
  for (const analyzer of analyzers) {
    if (hasOptimizerSchema || !metricStoreAnalyzers.includes(analyzer.name)) {
      run.push(analyzer);
      continue;
    }
    skipped.push({
      name: analyzer.name,
      status: "skipped",
      durationMs: 0,
      findings: 0,
      rejected: [],
      notes: [],
      error: "schema optimizer is absent: this analyzer reads the suite's metric store, which needs the " +
        "suite's migrations (supabase db push) and its pg_cron jobs",
    });
  }
  return { run, skipped };
}
