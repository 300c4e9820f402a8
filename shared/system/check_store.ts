import type postgres from "postgres";
import type { Sql } from "../db/client.ts";
import type { EstimatedGain, Finding, MeasuredGain } from "../finding/finding.ts";
import { planApply } from "../recommendations/apply_plan.ts";
import { addKnown, readStatements, readWorkload } from "../workload/workload.ts";
import { writtenTables } from "../workload/written_tables.ts";
import type { StatementTimes } from "./verify_gain.ts";
import type { ColdStartCounts } from "./check_warm_budget.ts";
import type { LookupCounts } from "./check_cache_budget.ts";
import { cacheBudgetRule } from "../analyze/cache.ts";
import { warmBudgetRule } from "../analyze/warm_budget.ts";

/**
 * Postgres adapter of the checks of applied actions: the index builds applied findings made and the warm and
 * cache budgets they raised, the statements' times over a window (optimizer.statement_deltas) and those that
 * write a table, a new index's scans (pg_stat_user_indexes), the functions' cold starts and the namespaces'
 * lookups over a window (the rollups), a snapshot that closes a window, and optimizer.action_checks
 * (migration 20261130004000).
 */

/** An applied finding, as its check reads it. */
export interface AppliedFinding {
  /** The stored finding. */
  findingId: string;
  /** When it was applied. */
  appliedAt: Date;
  /** The finding as applied. */
  finding: Finding;
}

/** An applied finding whose action built an index. */
export interface AppliedBuild extends AppliedFinding {
  /** The table, as the statement writes it, and the index's stored name. */
  table: string;
  /** The index's name. */
  indexName: string;
}

/** An applied `warm.budget-short` finding: a raised warm budget. */
export type AppliedWarmBudget = AppliedFinding;

/** An applied `cache.evictions-over-budget` finding: a cache budget raised for a namespace. */
export interface AppliedCacheBudget extends AppliedFinding {
  /** The namespace it was raised for (the finding's subject, `cache:<namespace>`). */
  namespace: string;
}

/** One check of one apply, as stored. */
export interface ActionCheckRecord {
  /** The stored finding. */
  findingId: string;
  /** The apply it checks. */
  appliedAt: string;
  /** The action's kind, e.g. `index-build`. */
  kind: string;
  /** When it was last checked. */
  checkedAt: string;
  /** pending, kept, degraded or unused. */
  verdict: string;
  /** Whether the check rolled the action back. */
  rolledBack: boolean;
  /** The finding's estimate. */
  estimate: EstimatedGain;
  /** What was measured; null while pending. */
  measured: MeasuredGain | null;
  /** |estimate − measured| / |measured|; null while pending or when nothing was measured. */
  relativeError: number | null;
  /** Why the verdict, with the figures. */
  reason: string;
}

/** The checks' SQL interface. */
export interface CheckStore {
  /** Takes a database snapshot, closing the windows that end now; returns its time. */
  takeSnapshot(): Promise<Date>;
  /** The applied findings that built an index, oldest apply first. */
  appliedBuilds(): Promise<AppliedBuild[]>;
  /** The applied findings that raised the warm budget, oldest apply first. */
  appliedWarmBudgets(): Promise<AppliedWarmBudget[]>;
  /** The applied findings that raised the cache budget with a config patch, oldest apply first. */
  appliedCacheBudgets(): Promise<AppliedCacheBudget[]>;
  /**
   * A namespace's lookups: over an analysis window as the cache analyzer reads it (rollup minutes in
   * [from, to)), or, `since` an apply, in the whole minutes after `window.from` up to `window.to` (wall-clock
   * instants, read on the clock as the rollups are).
   */
  cacheLookups(
    namespace: string,
    window: { from: Date; to: Date },
    read: "analysis" | "since",
  ): Promise<LookupCounts>;
  /**
   * Each of `functions`' requests and cold starts in the whole minutes after `window.from` up to `window.to`
   * (wall-clock instants, read on the warmer's clock as the rollups are).
   */
  coldStarts(functions: string[], window: { from: Date; to: Date }): Promise<Map<string, ColdStartCounts>>;
  /**
   * The calls, execution time and sum of squared execution times of every statement over `window`, by
   * queryid, roles added up: one read serves the statements an index was built for and those that write its
   * table.
   */
  statementTimes(window: { from: Date; to: Date }): Promise<Map<string, StatementTimes>>;
  /**
   * The project's statements (the suite's own left out) that ran in `window` and write `table` (an insert,
   * update, delete or merge naming it, resolved as Postgres resolves the name), by queryid.
   */
  writeStatements(table: string, window: { from: Date; to: Date }): Promise<string[]>;
  /** A new index's scans since it was built; null when it is gone. */
  indexScans(table: string, indexName: string): Promise<number | null>;
  /** Writes the check of one apply, replacing the earlier one. */
  record(check: ActionCheckRecord): Promise<void>;
  /** The latest checks, last checked first. */
  checks(limit: number): Promise<ActionCheckRecord[]>;
  /** The findings whose latest check rolled them back, with the check's reason. */
  rolledBack(): Promise<Map<string, string>>;
}

/**
 * A row of optimizer.action_checks: its times are Dates as postgres.js reads them, ISO text in the JSON of
 * optimizer.action_activity().
 */
export interface CheckRow {
  /** The stored finding (a bigint, as text). */
  finding_id: string;
  /** The apply it checks. */
  applied_at: Date | string;
  /** The action's kind. */
  kind: string;
  /** When it was last checked. */
  checked_at: Date | string;
  /** pending, kept, degraded or unused. */
  verdict: string;
  /** Whether the check rolled the action back. */
  rolled_back: boolean;
  /** The finding's estimate. */
  estimate: EstimatedGain;
  /** What was measured; null while pending. */
  measured: MeasuredGain | null;
  /** |estimate − measured| / |measured|. */
  relative_error: number | null;
  /** Why the verdict. */
  reason: string;
}

// JSON's timestamps carry the session's offset: read as UTC, so that a check's day is a UTC day
const iso = (at: Date | string) => new Date(at).toISOString();

/** A check as stored, in the shape the API answers with. */
export function checkRecordOf(row: CheckRow): ActionCheckRecord {
  return {
    findingId: row.finding_id,
    appliedAt: iso(row.applied_at),
    kind: row.kind,
    checkedAt: iso(row.checked_at),
    verdict: row.verdict,
    rolledBack: row.rolled_back,
    estimate: row.estimate,
    measured: row.measured,
    relativeError: row.relative_error,
    reason: row.reason,
  };
}

/** The store over `sql`. */
export function createCheckStore(sql: Sql): CheckStore {
  const json = (value: unknown) => sql.json(value as postgres.JSONValue);

  /** The applied findings of `rule`, oldest apply first. */
  async function applied(rule: string): Promise<AppliedFinding[]> {
    const rows = await sql<{ id: string; applied_at: Date; finding: Finding }[]>`
      select id::text, applied_at, finding from optimizer.findings
      where status = 'applied' and rule = ${rule} order by applied_at, id`;
    return rows.map((row) => ({ findingId: row.id, appliedAt: row.applied_at, finding: row.finding }));
  }

  return {
    async takeSnapshot() {
      const [{ at }] = await sql<{ at: Date }[]>`
        select optimizer.take_db_snapshot(), pg_catalog.clock_timestamp() as at`;
      return at;
    },

    async appliedBuilds() {
      return (await applied("index.suggest")).flatMap((a) => {
        const plan = planApply(a.finding.action);
        return plan.kind === "index" ? [{ ...a, table: plan.table, indexName: plan.indexName }] : [];
      });
    },

    appliedWarmBudgets: () => applied(warmBudgetRule),

    async appliedCacheBudgets() {
      return (await applied(cacheBudgetRule)).flatMap((a) =>
        a.finding.action.kind === "config" && a.finding.subject.startsWith("cache:")
          ? [{ ...a, namespace: a.finding.subject.slice("cache:".length) }]
          : []
      );
    },

    async cacheLookups(namespace, window, read) {
      const [row] = await sql<{ hits: string | null; misses: string | null }[]>`
        select sum(m.hits)::text as hits, sum(m.misses)::text as misses
        from optimizer.metric_rollups m
        where m.system = 'cache' and m.kind = 'lookup' and m.target = ${namespace}
          and case when ${read} = 'since'
            -- the minute of the apply began before it
            then m.minute > optimizer.clock_at(${window.from}) and m.minute < optimizer.clock_at(${window.to})
            else m.minute >= ${window.from} and m.minute < ${window.to}
          end`;
      return { hits: Number(row?.hits ?? 0), misses: Number(row?.misses ?? 0) };
    },

    async coldStarts(functions, window) {
      const rows = await sql<{ target: string; requests: string; cold_starts: string }[]>`
        select m.target, sum(m.count)::text as requests, sum(m.cold_starts)::text as cold_starts
        from optimizer.metric_rollups m
        where m.system = 'edge' and m.kind = 'request' and m.target = any(${functions})
          -- the minute of the apply began before it
          and m.minute > optimizer.clock_at(${window.from}) and m.minute < optimizer.clock_at(${window.to})
        group by m.target`;
      return new Map(
        rows.map((r) => [r.target, { requests: Number(r.requests), coldStarts: Number(r.cold_starts) }]),
      );
    },

    async statementTimes(window) {
      const { deltas } = await readStatements(sql, window);
      const times = new Map<string, StatementTimes>();
      for (const d of deltas) {
        const sum = times.get(d.queryid) ?? { calls: 0, totalMs: 0, sumSqMs: 0 };
        times.set(d.queryid, {
          calls: sum.calls + d.calls,
          totalMs: sum.totalMs + d.totalMs,
          sumSqMs: addKnown(sum.sumSqMs, d.sumSqMs),
        });
      }
      return times;
    },

    async writeStatements(table, window) {
      const { statements } = await readWorkload(sql, window);
      const named = statements.flatMap((s) =>
        writtenTables(s.query).map((name) => ({ queryid: s.queryid, name }))
      );
      if (named.length === 0) return [];
      const rows = await sql<{ queryid: string }[]>`
        select distinct x.queryid
        from pg_catalog.jsonb_to_recordset(${json(named)}::jsonb) as x(queryid text, name text)
        where pg_catalog.to_regclass(x.name) = pg_catalog.to_regclass(${table})`;
      return rows.map((r) => r.queryid);
    },

    async indexScans(table, indexName) {
      const [row] = await sql<{ scans: string }[]>`
        select s.idx_scan as scans from pg_catalog.pg_stat_user_indexes s
        where s.relid = pg_catalog.to_regclass(${table}) and s.indexrelname = ${indexName}`;
      return row ? Number(row.scans) : null;
    },

    async record(check) {
      await sql`
        insert into optimizer.action_checks (finding_id, applied_at, kind, checked_at, verdict, rolled_back,
          estimate, measured, relative_error, reason)
        values (${check.findingId}, ${check.appliedAt}, ${check.kind}, ${check.checkedAt}, ${check.verdict},
          ${check.rolledBack}, ${json(check.estimate)}, ${
        check.measured === null ? null : json(check.measured)
      },
          ${check.relativeError}, ${check.reason})
        on conflict (finding_id, applied_at) do update set
          checked_at = excluded.checked_at, verdict = excluded.verdict, rolled_back = excluded.rolled_back,
          measured = excluded.measured, relative_error = excluded.relative_error, reason = excluded.reason`;
    },

    async checks(limit) {
      const rows = await sql<CheckRow[]>`
        select finding_id::text, applied_at, kind, checked_at, verdict, rolled_back, estimate, measured,
               relative_error, reason
        from optimizer.action_checks order by checked_at desc, id desc limit ${limit}`;
      return rows.map(checkRecordOf);
    },

    async rolledBack() {
      const rows = await sql<{ finding_id: string; reason: string }[]>`
        select x.finding_id::text, x.reason from (
          select distinct on (c.finding_id) c.finding_id, c.rolled_back, c.reason
          from optimizer.action_checks c order by c.finding_id, c.applied_at desc
        ) x
        where x.rolled_back`;
      return new Map(rows.map((r) => [r.finding_id, r.reason]));
    },
  };
}
