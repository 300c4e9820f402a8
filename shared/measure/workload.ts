import type { Sql } from "../db/client.ts";
import { qualifiedName, quoteIdent } from "../sql/identifiers.ts";
import type { Tx } from "./explain_runs.ts";

/**
 * The statements an analyzer measures: the workload of a window, from the snapshots' pg_stat_statements
 * deltas (optimizer.statement_deltas), merged across the roles that ran each, heaviest first; and the values
 * a statement's parameters take when it is measured.
 */

/** Schemas that belong to Postgres, the Supabase platform or the suite, not to the project. */
export const platformSchemas = [
  "pg_catalog",
  "information_schema",
  "pg_toast",
  "auth",
  "storage",
  "realtime",
  "supabase_functions",
  "supabase_migrations",
  "extensions",
  "graphql",
  "graphql_public",
  "net",
  "cron",
  "vault",
  "pgsodium",
  "optimizer",
] as const;

/** A statement of the workload and what it cost over the window. */
export interface WorkloadStatement {
  /** pg_stat_statements' queryid, as text (a bigint). */
  queryid: string;
  /** The normalized text, constants replaced by `$n`. */
  query: string;
  /** Calls in the window. */
  calls: number;
  /** Execution time in the window, all calls together. */
  totalMs: number;
}

/** A statement that names schema `optimizer` is the suite's own (a parameter: `\m` in a template is `m`). */
const ownStatementPattern = String.raw`\moptimizer\.`;

/**
 * The `limit` statements with the most execution time in `window`, the suite's own (those reading schema
 * `optimizer`) left out; `excluded` counts those.
 */
export async function readWorkload(
  sql: Sql,
  window: { from: Date; to: Date },
  limit: number,
): Promise<{ statements: WorkloadStatement[]; excluded: number }> {
  const rows = await sql<{ queryid: string; query: string; calls: string; total_ms: number; own: boolean }[]>`
    select d.queryid::text as queryid, min(d.query) as query, sum(d.calls)::text as calls,
      sum(d.total_exec_time) as total_ms,
      -- the suite's own statements read or write its schema
      min(d.query) ~* ${ownStatementPattern} as own
    from optimizer.statement_deltas(${window.from}, ${window.to}) d
    where d.query is not null and d.calls > 0
    group by d.queryid
    order by sum(d.total_exec_time) desc`;
  const theirs = rows.filter((row) => !row.own);
  return {
    statements: theirs.slice(0, limit).map((row) => ({
      queryid: row.queryid,
      query: row.query,
      calls: Number(row.calls),
      totalMs: row.total_ms,
    })),
    excluded: rows.length - theirs.length,
  };
}

/**
 * A representative value of a column, as text: its most common value by pg_stats (the first of
 * most_common_vals, the value the most rows share), or, where pg_stats has none (a unique column, or a table
 * never analyzed), the column's value in the first row that has one. Null when the column has no value or
 * the table has no such column.
 */
export async function representativeValue(
  tx: Tx,
  table: { schema: string; table: string },
  column: string,
): Promise<string | null> {
  const [common] = await tx<{ value: string | null }[]>`
    select (s.most_common_vals::text::text[])[1] as value
    from pg_catalog.pg_stats s
    where s.schemaname = ${table.schema} and s.tablename = ${table.table} and s.attname = ${column}`;
  if (common?.value != null) return common.value;
  const name = qualifiedName(table.schema, table.table);
  const [{ exists }] = await tx<{ exists: boolean }[]>`
    select exists (
      select from pg_catalog.pg_attribute a
      where a.attrelid = pg_catalog.to_regclass(${name}) and a.attname = ${column} and a.attnum > 0
        and not a.attisdropped
    )`;
  if (!exists) return null;
  const quoted = quoteIdent(column);
  const [first] = await tx.unsafe<{ value: string | null }[]>(
    `select ${quoted}::text as value from ${name} where ${quoted} is not null limit 1`,
  );
  return first?.value ?? null;
}
