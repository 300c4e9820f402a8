import { qualifiedName, quoteIdent } from "../sql/identifiers.ts";
import { ownStatement } from "../sql/own_statement.ts";
import type { Tx } from "../db/rolled_back.ts";

/**
 * What a measured statement runs on: the values its parameters take (a column's representative value), and
 * the schemas that are not the project's. The statements themselves come from shared/workload/.
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
    ownStatement(`select ${quoted}::text as value from ${name} where ${quoted} is not null limit 1`),
  );
  return first?.value ?? null;
}
