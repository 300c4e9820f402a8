import type { Sql } from "../db/client.ts";
import { readableIdent } from "../sql/identifiers.ts";
import { ownStatementTag } from "../sql/own_statement.ts";

/**
 * The workload of a window: the project's statements with the calls and execution time pg_stat_statements
 * counted for them between two snapshots (optimizer.statement_deltas) or, in a database without the suite,
 * since pg_stat_statements was last reset (readStatements()), heaviest first. Every analyzer that
 * weighs statements reads it here, so that all of them leave out the same statements as the suite's own.
 *
 * The suite's connections use application_name `optimizer-*`, which pg_stat_statements does not record, so
 * its statements are told apart by role (the Supabase admin roles by default) and by text: a statement led by
 * the suite's tag (ownStatementTag: its measurements of the project's statements), or that reads or writes
 * schema `optimizer`, or calls hypopg, pg_stat_statements or pg_qualstats, is the suite's.
 */

/** One row of optimizer.statement_deltas, with the name of the role that ran it. */
export interface StatementDelta {
  /** pg_stat_statements' queryid, as text (a bigint). */
  queryid: string;
  /** The role that ran it (its oid as text when the role is gone). */
  role: string;
  /** The normalized text, constants replaced by `$n`; null when no snapshot kept it. */
  query: string | null;
  /** Calls in the window. */
  calls: number;
  /** Execution time in the window, all calls together, in ms. */
  totalMs: number;
  /**
   * The sum of the squares of each call's execution time in the window, ms²: with calls and totalMs, the
   * per-call variance. Null when a snapshot the window starts or ends at has none; absent when not read.
   */
  sumSqMs?: number | null;
}

/** A statement of the workload: one per queryid, the calls and time of every role that ran it added up. */
export interface WorkloadStatement {
  /** pg_stat_statements' queryid, as text (a bigint). */
  queryid: string;
  /** The normalized text, constants replaced by `$n`. */
  query: string;
  /** Calls in the window. */
  calls: number;
  /** Execution time in the window, all calls together, in ms. */
  totalMs: number;
  /** As StatementDelta's: the sum of squared execution times, ms²; null when unknown, absent when not read. */
  sumSqMs?: number | null;
}

/**
 * Two sums added up, unknown (null) when either is unknown or was not read: the statements' sums of squares,
 * and the variances derived from them.
 */
export function addKnown(a: number | null | undefined, b: number | null | undefined): number | null {
  return typeof a === "number" && typeof b === "number" ? a + b : null;
}

/** The workload and what was left out of it. */
export interface Workload {
  /** The project's statements, most execution time first. */
  statements: WorkloadStatement[];
  /** How many statements were the suite's own. */
  excluded: number;
  /** Statements whose text no snapshot kept, so they cannot be analyzed. */
  withoutText: string[];
}

/** The roles whose statements are the platform's or the suite's, not the project's. */
export const suiteRoles: readonly string[] = [
  "supabase_admin",
  "supabase_auth_admin",
  "supabase_storage_admin",
];

const ownText = /\boptimizer\s*\.|\bhypopg_|\bpg_stat_statements\b|\bpg_qualstats\b/i;

/** Whether a statement is the suite's own (see the top of this file). */
export function isOwnStatement(
  delta: Pick<StatementDelta, "role" | "query">,
  roles: readonly string[],
): boolean {
  return roles.includes(delta.role) ||
    (delta.query !== null && (delta.query.startsWith(ownStatementTag) || ownText.test(delta.query)));
}

/** Pure: the project's workload from statement deltas (any order); `roles` run the suite's own statements. */
export function projectWorkload(deltas: StatementDelta[], roles: readonly string[] = suiteRoles): Workload {
  let excluded = 0;
  const withoutText: string[] = [];
  const byId = new Map<string, WorkloadStatement>();
  for (const delta of deltas) {
    if (isOwnStatement(delta, roles)) {
      excluded++;
    } else if (delta.query === null) {
      withoutText.push(delta.queryid);
    } else {
      // one statement run by several roles is one statement: add up its weight
      const seen = byId.get(delta.queryid);
      if (seen) {
        seen.calls += delta.calls;
        seen.totalMs += delta.totalMs;
        if ("sumSqMs" in seen) seen.sumSqMs = addKnown(seen.sumSqMs, delta.sumSqMs);
      } else {
        byId.set(delta.queryid, { ...delta, query: delta.query });
      }
    }
  }
  const statements = [...byId.values()]
    .map(({ queryid, query, calls, totalMs, sumSqMs }) => ({
      queryid,
      query,
      calls,
      totalMs,
      ...(sumSqMs === undefined ? {} : { sumSqMs }),
    }))
    .sort((a, b) => b.totalMs - a.totalMs);
  return { statements, excluded, withoutText };
}

/** Where a workload's statements were read from. */
export interface WorkloadSource {
  /**
   * `statement_deltas`: what pg_stat_statements counted between the window's first and last snapshots
   * (the suite's migrations installed); `pg_stat_statements`: its cumulative counters since its last reset
   * (a database without the suite, as `npm run advise` may read); `none`: neither is there.
   */
  kind: "statement_deltas" | "pg_stat_statements" | "none";
  /** What was read, for findings' evidence, e.g. `optimizer.statement_deltas`. */
  series: string;
  /** The time the counts cover: the window, or since pg_stat_statements' last reset. */
  covers: { from: Date; to: Date };
  /** Which source, and the window it covers, for the analyzers' notes. */
  note: string;
}

/** The statements of a window as read from their source. */
export interface StatementReading {
  deltas: StatementDelta[];
  source: WorkloadSource;
}

/** The project's workload over a window, and where it was read from. */
export interface SourcedWorkload extends Workload {
  source: WorkloadSource;
}

/** Whether the suite's snapshots are installed, and the schema pg_stat_statements is installed in. */
async function readSources(sql: Sql): Promise<{ snapshots: boolean; statementsSchema: string | null }> {
  const [row] = await sql`
    select pg_catalog.to_regprocedure('optimizer.statement_deltas(timestamptz, timestamptz)') is not null
             as snapshots,
           (select n.nspname from pg_catalog.pg_extension e
            join pg_catalog.pg_namespace n on n.oid = e.extnamespace
            where e.extname = 'pg_stat_statements') as statements_schema`;
  return { snapshots: row.snapshots, statementsSchema: row.statements_schema };
}

function deltaRows(rows: Record<string, unknown>[]): StatementDelta[] {
  return rows.map((r) => ({
    queryid: r.queryid as string,
    role: r.role as string,
    query: r.query as string | null,
    calls: Number(r.calls),
    totalMs: Number(r.total_ms),
    sumSqMs: r.sum_sq_ms === null ? null : Number(r.sum_sq_ms),
  }));
}

/** Reads the statement deltas of a window from the suite's snapshots, with the role of each. */
async function readSnapshotDeltas(sql: Sql, window: { from: Date; to: Date }): Promise<StatementDelta[]> {
  return deltaRows(
    await sql`
    select d.queryid::text as queryid, coalesce(r.rolname, d.userid::text) as role, d.query,
           d.calls::float8 as calls, d.total_exec_time::float8 as total_ms, d.sum_sq_exec_time as sum_sq_ms
    from optimizer.statement_deltas(${window.from}, ${window.to}) d
    left join pg_catalog.pg_roles r on r.oid = d.userid
    where d.calls > 0 -- statements unchanged over the window have no weight`,
  );
}

/** Reads pg_stat_statements' cumulative counters of this database, and when they were last reset. */
async function readCumulative(
  sql: Sql,
  schema: string,
): Promise<{ deltas: StatementDelta[]; since: Date | null }> {
  const rows = await sql.unsafe(
    `select s.queryid::text as queryid, coalesce(r.rolname, s.userid::text) as role, s.query,
            s.calls::float8 as calls, s.total_exec_time::float8 as total_ms,
            s.calls * (s.stddev_exec_time ^ 2 + s.mean_exec_time ^ 2) as sum_sq_ms
     from ${readableIdent(schema)}.pg_stat_statements s
     left join pg_catalog.pg_roles r on r.oid = s.userid
     where s.dbid = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
       and s.toplevel -- a statement run inside a function counts within the call that ran it
       and s.calls > 0`,
  );
  const [info] = await sql.unsafe(
    `select i.stats_reset from ${readableIdent(schema)}.pg_stat_statements_info i`,
  );
  return { deltas: deltaRows(rows), since: info?.stats_reset ? new Date(info.stats_reset) : null };
}

/**
 * Reads the statements of a window: from the suite's snapshots (optimizer.statement_deltas) when its
 * migrations are installed, else from pg_stat_statements' cumulative counters since their last reset, which
 * may be longer or shorter than the window (the source's note says which and what it covers).
 */
export async function readStatements(sql: Sql, window: { from: Date; to: Date }): Promise<StatementReading> {
  const { snapshots, statementsSchema } = await readSources(sql);
  if (snapshots) {
    return {
      deltas: await readSnapshotDeltas(sql, window),
      source: {
        kind: "statement_deltas",
        series: "optimizer.statement_deltas",
        covers: window,
        note: "workload source: optimizer.statement_deltas, the snapshots between " +
          `${window.from.toISOString()} and ${window.to.toISOString()}`,
      },
    };
  }
  if (statementsSchema === null) {
    return {
      deltas: [],
      source: {
        kind: "none",
        series: "pg_stat_statements (not installed)",
        covers: window,
        note: "workload source: none: pg_stat_statements is not installed (create extension " +
          "pg_stat_statements) and the optimizer schema (its snapshots) is absent",
      },
    };
  }
  const { deltas, since } = await readCumulative(sql, statementsSchema);
  const reset = since?.toISOString() ?? "unknown";
  return {
    deltas,
    source: {
      kind: "pg_stat_statements",
      series: `${statementsSchema}.pg_stat_statements (cumulative since its last reset)`,
      // unknown reset time: the counts are taken to cover the window asked for
      covers: { from: since ?? window.from, to: window.to },
      note: `workload source: the optimizer schema is absent, so ${statementsSchema}.pg_stat_statements' ` +
        `cumulative counters since its last reset (pg_stat_statements_info.stats_reset: ${reset}) stand for ` +
        `the window ${window.from.toISOString()} to ${window.to.toISOString()}`,
    },
  };
}

/** The project's workload over a window (readStatements, then projectWorkload). */
export async function readWorkload(
  sql: Sql,
  window: { from: Date; to: Date },
  roles: readonly string[] = suiteRoles,
): Promise<SourcedWorkload> {
  const { deltas, source } = await readStatements(sql, window);
  return { ...projectWorkload(deltas, roles), source };
}
