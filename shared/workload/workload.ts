import type { Sql } from "../db/client.ts";

/**
 * The workload of a window: the project's statements with the calls and execution time pg_stat_statements
 * counted for them between two snapshots (optimizer.statement_deltas), heaviest first. Every analyzer that
 * weighs statements reads it here, so that all of them leave out the same statements as the suite's own.
 *
 * The suite's connections use application_name `optimizer-*`, which pg_stat_statements does not record, so
 * its statements are told apart by role (the Supabase admin roles by default) and by text: a statement that
 * reads or writes schema `optimizer`, or calls hypopg, pg_stat_statements or pg_qualstats, is the suite's.
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
  return roles.includes(delta.role) || (delta.query !== null && ownText.test(delta.query));
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
      } else {
        byId.set(delta.queryid, { ...delta, query: delta.query });
      }
    }
  }
  const statements = [...byId.values()]
    .map(({ queryid, query, calls, totalMs }) => ({ queryid, query, calls, totalMs }))
    .sort((a, b) => b.totalMs - a.totalMs);
  return { statements, excluded, withoutText };
}

/** Reads the statement deltas of a window, with the role of each. */
export async function readStatementDeltas(
  sql: Sql,
  window: { from: Date; to: Date },
): Promise<StatementDelta[]> {
  const rows = await sql`
    select d.queryid::text as queryid, coalesce(r.rolname, d.userid::text) as role, d.query,
           d.calls::float8 as calls, d.total_exec_time::float8 as total_ms
    from optimizer.statement_deltas(${window.from}, ${window.to}) d
    left join pg_catalog.pg_roles r on r.oid = d.userid
    where d.calls > 0 -- statements unchanged over the window have no weight`;
  return rows.map((r) => ({
    queryid: r.queryid,
    role: r.role,
    query: r.query,
    calls: Number(r.calls),
    totalMs: Number(r.total_ms),
  }));
}

/** The project's workload over a window (readStatementDeltas, then projectWorkload). */
export async function readWorkload(
  sql: Sql,
  window: { from: Date; to: Date },
  roles: readonly string[] = suiteRoles,
): Promise<Workload> {
  return projectWorkload(await readStatementDeltas(sql, window), roles);
}
