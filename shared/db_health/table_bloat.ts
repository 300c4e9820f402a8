import { createFinding, estimatedGain, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import type { DbHealthOptions } from "./db_health_options.ts";
import type { RuleOutcome, TableRow } from "./health_catalog.ts";
import { percent } from "../correlate/statistics.ts";

const rule = "table.bloat";

/** The model behind the estimate, named in every gain. */
export const bloatModel =
  "table bloat estimate of pgsql-bloat-estimation (ioguide, as PgHero and check_postgres use): expected pages from pg_class.reltuples, the fillfactor and the average row size from pg_stats (avg_width, null_frac) with 23-byte tuple headers, 4-byte line pointers, 8-byte alignment and 24-byte page headers; bloat is the table's pages (heap and TOAST) beyond that";

/** 64-bit platforms align tuples to 8 bytes (MAXALIGN). */
const maxAlign = 8;
/** Bytes of a heap page's header. */
const pageHeaderBytes = 24;
/** Bytes of a heap tuple's header before the null bitmap. */
const tupleHeaderBytes = 23;
/** Bytes of a line pointer. */
const linePointerBytes = 4;
/** The model counts 4 TOAST chunks per TOAST page. */
const toastRowsPerPage = 4;

/** What estimateTableBloat() finds. */
export interface BloatEstimate {
  /** Pages the table would need with no dead space, at its fillfactor. */
  expectedPages: number;
  /** Pages beyond those, never negative. */
  bloatPages: number;
  bloatBytes: number;
  /** bloatPages over the table's pages. */
  bloatRatio: number;
}

/**
 * The estimate of bloatModel for one table, or why there is none: a table never analyzed has no row count
 * (reltuples −1) and columns without pg_stats rows have no width.
 */
export function estimateTableBloat(table: TableRow): BloatEstimate | { reason: string } {
  if (table.rowEstimate < 0) return { reason: "never vacuumed or analyzed: no row estimate (run analyze)" };
  if (table.columnsWithStats < table.columnCount) {
    return {
      reason: `${
        table.columnCount - table.columnsWithStats
      } of ${table.columnCount} columns have no statistics in pg_stats (run analyze)`,
    };
  }
  const pages = table.heapPages + table.toastPages;
  // the tuple header, with a null bitmap when any column has nulls
  const headerBytes = tupleHeaderBytes + (table.hasNulls ? Math.floor((7 + table.columnsWithStats) / 8) : 0);
  const paddingOf = (bytes: number) => (bytes % maxAlign === 0 ? maxAlign : bytes % maxAlign);
  // a row's bytes: line pointer, header and data, each aligned
  const tupleBytes = linePointerBytes + headerBytes + table.dataWidth + 2 * maxAlign -
    paddingOf(headerBytes) -
    paddingOf(Math.ceil(table.dataWidth));
  const rowsPerPage = ((table.blockSize - pageHeaderBytes) * table.fillfactor) / (tupleBytes * 100);
  const expectedPages = Math.ceil(table.rowEstimate / rowsPerPage) +
    Math.ceil(table.toastRows / toastRowsPerPage);
  const bloatPages = Math.max(0, pages - expectedPages);
  return {
    expectedPages,
    bloatPages,
    bloatBytes: bloatPages * table.blockSize,
    bloatRatio: pages > 0 ? bloatPages / pages : 0,
  };
}

const MIB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MIB) * 100) / 100;

/**
 * Tables whose estimated bloat (estimateTableBloat) is both at least minBloatBytes and at least
 * minBloatRatio of the table. The fix is guidance, never applied by the suite: reclaiming the space
 * rewrites the table.
 */
export function findTableBloat(
  tables: TableRow[],
  options: Pick<DbHealthOptions, "minBloatBytes" | "minBloatRatio">,
): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  for (const table of tables) {
    const subject = `table:${table.schema}.${table.table}`;
    // an empty table has nothing to estimate
    if (table.heapPages + table.toastPages === 0) continue;
    const estimate = estimateTableBloat(table);
    if ("reason" in estimate) {
      rejected.push({ rule, subject, reason: `no estimate: ${estimate.reason}` });
      continue;
    }
    const figures = `estimated bloat ${mb(estimate.bloatBytes)} MB, ${percent(estimate.bloatRatio)}`;
    const bigEnough = estimate.bloatBytes >= options.minBloatBytes;
    const shareEnough = estimate.bloatRatio >= options.minBloatRatio;
    // a table that meets neither threshold is compact enough: nothing to explain
    if (!bigEnough && !shareEnough) continue;
    if (!bigEnough) {
      rejected.push({ rule, subject, reason: `${figures}: below minBloatBytes ${options.minBloatBytes}` });
      continue;
    }
    if (!shareEnough) {
      rejected.push({ rule, subject, reason: `${figures}: below minBloatRatio ${options.minBloatRatio}` });
      continue;
    }
    const vacuumed = table.lastVacuum ? `last vacuumed ${table.lastVacuum}` : "never vacuumed";
    findings.push(createFinding({
      rule,
      system: "db",
      subject,
      severity: "warning",
      title: `Table ${table.schema}.${table.table} is about ${percent(estimate.bloatRatio, 0)} bloat`,
      detail: `${table.schema}.${table.table} takes ${
        table.heapPages + table.toastPages
      } pages where about ${estimate.expectedPages} would hold its ${
        Math.round(table.rowEstimate)
      } rows (${figures}; ${table.deadRows} dead rows, ${vacuumed}). Sequential scans read the empty space too.`,
      evidence: {
        series: ["pg_class.relpages", "pg_class.reltuples", "pg_stats.avg_width", "pg_stats.null_frac"],
        windows: [],
        statistic: { name: "estimated bloat ratio", value: Math.round(estimate.bloatRatio * 1000) / 1000 },
      },
      gain: estimatedGain(mb(estimate.bloatBytes), "MB", bloatModel),
      action: {
        kind: "guidance",
        text:
          `vacuum (analyze) ${table.qualifiedTable} makes the dead space reusable; to return it to the disk, rebuild the table with pg_repack (brief locks only) or vacuum full (locks out reads and writes while it runs). If dead rows pile up again, lower the table's autovacuum_vacuum_scale_factor.`,
      },
      autoApplicable: false,
    }));
  }
  return { findings, rejected };
}
