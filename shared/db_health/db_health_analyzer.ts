import type { OptimizationConfig } from "../config/config.ts";
import type { AnalysisResult, Analyzer } from "../recommendations/analyzer.ts";
import { type DbHealthOptions, resolveDbHealthOptions } from "./db_health_options.ts";
import { findLowCacheHitRatio } from "./cache_hit_ratio.ts";
import { findConnectionPressure } from "./connections.ts";
import { findDuplicateIndexes } from "./duplicate_indexes.ts";
import { loadHealthCatalog } from "./health_store.ts";
import { type HealthCatalog, type RuleOutcome, statsWindow } from "./health_catalog.ts";
import { findInvalidIndexes } from "./invalid_indexes.ts";
import { findPrefixRedundantIndexes } from "./redundant_indexes.ts";
import { findSessionProblems } from "./sessions.ts";
import { findTablesWithoutPrimaryKey } from "./no_primary_key.ts";
import { findTableBloat } from "./table_bloat.ts";
import { findUnindexedForeignKeys } from "./unindexed_foreign_keys.ts";
import { findUnusedIndexes } from "./unused_indexes.ts";

/**
 * Index lifecycle and database health: unused, duplicate, prefix-redundant and invalid indexes, unindexed
 * foreign keys, tables without a primary key, table bloat, cache hit ratios, connection pressure, long
 * queries and idle transactions. Every rule is a pure function of one HealthCatalog (judgeDbHealth); the
 * analyzer reads the catalog once and runs them all.
 */

/**
 * Runs every rule over `catalog`; the config gives the thresholds a developer may change at run time
 * (alerts.minCacheHitRate, recommendations.unusedIndexMinDays).
 */
export function judgeDbHealth(
  catalog: HealthCatalog,
  options: DbHealthOptions,
  config: Pick<OptimizationConfig, "alerts" | "recommendations">,
): AnalysisResult {
  const unused = findUnusedIndexes(catalog, config.recommendations);
  const duplicates = findDuplicateIndexes(catalog.indexes);
  // an index these propose to drop cannot be the one that makes a shorter index redundant
  const dropped = new Set([...unused.findings, ...duplicates.findings].map((finding) => finding.subject));
  const outcomes: RuleOutcome[] = [
    findInvalidIndexes(catalog.indexes),
    unused,
    duplicates,
    findPrefixRedundantIndexes(catalog.indexes, dropped),
    findUnindexedForeignKeys(catalog.foreignKeys, catalog.indexes, options),
    findTablesWithoutPrimaryKey(catalog.tables),
    findTableBloat(catalog.tables, options),
    findLowCacheHitRatio(catalog, { ...options, minCacheHitRate: config.alerts.minCacheHitRate }),
    findConnectionPressure(catalog, options),
    findSessionProblems(catalog, options),
  ];
  const window = statsWindow(catalog);
  const notes = [
    catalog.statsSince === null
      ? "how long the cumulative statistics have counted is unknown: unused indexes are not judged"
      : `index scans and cache hits are counted since ${window.from} (${catalog.statsSinceSource})`,
    catalog.indexUsageTracked
      ? "an index's unused time counts from the last change of its scan count that optimizer.index_usage saw (noted every 5 min)"
      : "optimizer.index_usage is not installed: an index's unused time is the statistics window, and one created since has had less",
    "the cache hit ratios are since that time, not over the run's window",
    `schemas left out: system schemas and ${options.excludedSchemas.join(", ")}`,
  ];
  return {
    findings: outcomes.flatMap((outcome) => outcome.findings),
    rejected: outcomes.flatMap((outcome) => outcome.rejected),
    notes,
  };
}

/**
 * The analyzer of the recommendations run. Options are validated here, when the analyzer is made, so a bad
 * threshold fails before any run.
 */
export function createDbHealthAnalyzer(options: Partial<DbHealthOptions> = {}): Analyzer {
  const resolved = resolveDbHealthOptions(options);
  return {
    name: "db-health",
    async analyze(context) {
      const catalog = await loadHealthCatalog(context.sql, resolved);
      return judgeDbHealth(catalog, resolved, context.config);
    },
  };
}
