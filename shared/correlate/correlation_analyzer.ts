import type { Sql } from "../db/client.ts";
import type { Analyzer } from "../recommendations/analyzer.ts";
import { analysisWindows, findingWindow } from "../analyze/analysis_window.ts";
import { loadNotes, loadSystemSeries, loadTargetSeries } from "../analyze/target_series.ts";
import { DAY_MS } from "../time.ts";
import { readWorkload } from "../workload/workload.ts";
import { type BufferDip, findBufferDips } from "./buffer_dips.ts";
import { loadSnapshots } from "./snapshot_points.ts";
import {
  correlate,
  type CorrelationAnalyzerOptions,
  type RelationReads,
  resolveCorrelationOptions,
} from "./correlate.ts";

/**
 * The cross-system analyzer: per-minute series of the database (system db, kind query), the edge functions
 * and the cache namespaces from the rollups, the statements' deltas (optimizer.statement_deltas), the
 * database snapshots over recurrenceDays, and, for the recurring buffer-cache dips, the relations read in
 * them (optimizer.table_deltas); then correlate().
 */

/** The window's heaviest statements the rules look at (the suite's own left out). */
const maxStatements = 50;
/** Dip intervals whose relations are read (the latest), one optimizer.table_deltas call each. */
const maxDipIntervals = 20;

/** The correlation analyzer with `options` over correlationAnalyzerDefaults; throws RangeError for a bad one. */
export function createCorrelationAnalyzer(options: Partial<CorrelationAnalyzerOptions> = {}): Analyzer {
  const resolved = resolveCorrelationOptions(options);
  return {
    name: "correlation",
    async analyze(context) {
      const { sql } = context;
      const windows = analysisWindows(context.window);
      const notes: string[] = [];
      if (windows.current.bucketSeconds !== 60) {
        notes.push(
          `the window is too long for per-minute series: correlations use ${
            windows.current.bucketSeconds / 60
          }-minute buckets`,
        );
      }
      const db = await loadSystemSeries(sql, windows, { system: "db", kind: "query" });
      const load = (system: "db" | "edge" | "cache", kind: string) =>
        loadTargetSeries(sql, windows, { system, kind }, resolved.maxTargets, context.deadline);
      const dbTargets = await load("db", "query");
      const edge = await load("edge", "request");
      const cache = await load("cache", "lookup");
      notes.push(
        ...loadNotes(dbTargets, "database series", resolved.maxTargets),
        ...loadNotes(edge, "functions", resolved.maxTargets),
        ...loadNotes(cache, "cache namespaces", resolved.maxTargets),
      );
      const statements = (await readWorkload(sql, windows.current)).statements.slice(0, maxStatements);
      const lookBack = new Date(windows.current.to.getTime() - resolved.recurrenceDays * DAY_MS);
      const snapshots = await loadSnapshots(sql, lookBack, windows.current.to);
      const report = findBufferDips(snapshots, resolved);
      const dipReads = Date.now() < context.deadline
        ? await loadDipReads(sql, report.recurring.flatMap((s) => s.dips))
        : [];
      const result = correlate(
        {
          window: findingWindow(windows.current),
          db,
          dbTargets: dbTargets.series,
          edge: edge.series,
          cache: cache.series,
          statements,
          snapshots: snapshots.filter((s) =>
            s.takenAt >= windows.current.from && s.takenAt < windows.current.to
          ),
          bufferDips: {
            report,
            window: { from: lookBack.toISOString(), to: windows.current.to.toISOString() },
          },
          dipReads,
        },
        context.config,
        resolved,
      );
      result.notes.push(...notes);
      return result;
    },
  };
}

/** Blocks read per relation over the latest maxDipIntervals dips, most first. */
async function loadDipReads(sql: Sql, dips: BufferDip[]): Promise<RelationReads[]> {
  const totals = new Map<string, number>();
  const latest = [...dips].sort((a, b) => b.to.getTime() - a.to.getTime()).slice(0, maxDipIntervals);
  for (const dip of latest) {
    const rows = await sql<{ relation: string; blocks_read: string }[]>`
      select d.schemaname || '.' || d.relname as relation,
             coalesce(d.heap_blks_read, 0) + coalesce(d.idx_blks_read, 0) as blocks_read
      from optimizer.table_deltas(${dip.from.toISOString()}::timestamptz, ${dip.to.toISOString()}::timestamptz) d
      where coalesce(d.heap_blks_read, 0) + coalesce(d.idx_blks_read, 0) > 0`;
    for (const row of rows) {
      totals.set(row.relation, (totals.get(row.relation) ?? 0) + Number(row.blocks_read));
    }
  }
  return [...totals.entries()].map(([relation, blocksRead]) => ({ relation, blocksRead }))
    .sort((a, b) => b.blocksRead - a.blocksRead);
}
