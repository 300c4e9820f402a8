/**
 * The QuantForge reference app's schema in schema public: the "as shipped by a young team" base (primary
 * keys and unique constraints only), the shipped index set on top of it, and the views of its indexes that
 * the harness compares between scenarios.
 */
import type postgres from "postgres";

type Sql = postgres.Sql;

/** The app's tables, children first (the order in which they can be dropped). */
export const referenceTables = ["public.robot_messages", "public.robots", "public.market_candles"] as const;

/** What 10_shipped_indexes.sql creates and drop_shipped_indexes.sql drops, sorted by name. */
export const shippedIndexNames = [
  "idx_robots_chat_history",
  "idx_robots_created_at",
  "idx_robots_description_trgm",
  "idx_robots_is_active",
  "idx_robots_is_public",
  "idx_robots_name_trgm",
  "idx_robots_strategy_params",
  "idx_robots_strategy_type",
  "idx_robots_updated_at",
  "idx_robots_user_active_created",
  "idx_robots_user_id",
] as const;

/**
 * The reference app's users are marked by this e-mail domain, so that dropping the app removes them and
 * no user another test or the suite created.
 */
export const referenceUserEmailDomain = "refapp.quantforge.test";

/** Where snapshotReferenceData() keeps its pristine copy; dropped with the app. */
export const pristineSchema = "refapp_pristine";

export const schemaFiles = {
  base: new URL("./00_base.sql", import.meta.url),
  shippedIndexes: new URL("./10_shipped_indexes.sql", import.meta.url),
  dropShippedIndexes: new URL("./drop_shipped_indexes.sql", import.meta.url),
} as const;

/**
 * One multi-statement query, so one implicit transaction: `set local` settings (quieter notices, memory
 * for index builds) hold for the whole file and end with it.
 */
async function applyFile(sql: Sql, file: URL, settings: Record<string, string> = {}): Promise<void> {
  const set = Object.entries({ client_min_messages: "warning", ...settings })
    .map(([name, value]) => `set local ${name} = '${value}';`)
    .join("\n");
  await sql.unsafe(`${set}\n${await Deno.readTextFile(file)}`);
}

export function applyBaseSchema(sql: Sql): Promise<void> {
  return applyFile(sql, schemaFiles.base);
}

export interface ShippedIndexOptions {
  /** maintenance_work_mem for the builds, e.g. "256MB": GIN and trigram builds spill to disk at 64 MB. */
  maintenanceWorkMem?: string;
}

/** Throws unless `value` is a memory size Postgres takes, such as 256MB. */
export function checkMemorySetting(name: string, value: string): string {
  if (!/^\d+(kB|MB|GB)$/.test(value)) {
    throw new RangeError(`${name} must look like 256MB (kB, MB or GB): got '${value}'`);
  }
  return value;
}

export function applyShippedIndexes(sql: Sql, options: ShippedIndexOptions = {}): Promise<void> {
  const { maintenanceWorkMem } = options;
  if (maintenanceWorkMem === undefined) return applyFile(sql, schemaFiles.shippedIndexes);
  return applyFile(sql, schemaFiles.shippedIndexes, {
    maintenance_work_mem: checkMemorySetting("maintenanceWorkMem", maintenanceWorkMem),
  });
}

export function dropShippedIndexes(sql: Sql): Promise<void> {
  return applyFile(sql, schemaFiles.dropShippedIndexes);
}

/** Removes the app's tables, types, users and pristine snapshot, so that a scenario can start clean. */
export async function dropReferenceApp(sql: Sql): Promise<void> {
  await sql.unsafe(`
    set local client_min_messages = warning;
    drop schema if exists ${pristineSchema} cascade;
    drop table if exists ${referenceTables.join(", ")} cascade;
    drop type if exists public.strategy_type, public.message_role cascade;
  `);
  await sql`delete from auth.users where email like ${"%@" + referenceUserEmailDomain}`;
}

export interface IndexInfo {
  /** Schema-qualified table, e.g. public.robots. */
  table: string;
  name: string;
  definition: string;
}

/** Indexes on the app's tables that back no constraint (primary key, unique, exclusion), sorted by name. */
export async function listNonConstraintIndexes(sql: Sql): Promise<IndexInfo[]> {
  const rows = await sql<{ table: string; name: string; definition: string }[]>`
    select format('%I.%I', n.nspname, t.relname) as table, i.relname as name,
      pg_catalog.pg_get_indexdef(i.oid) as definition
    from pg_catalog.pg_index x
    join pg_catalog.pg_class i on i.oid = x.indexrelid
    join pg_catalog.pg_class t on t.oid = x.indrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    where format('%I.%I', n.nspname, t.relname) = any(${referenceTables as unknown as string[]})
      and not exists (
        select from pg_catalog.pg_constraint c
        where c.conindid = x.indexrelid and c.conrelid = x.indrelid and c.contype in ('p', 'u', 'x')
      )
    order by i.relname`;
  return rows.map((row) => ({ table: row.table, name: row.name, definition: row.definition }));
}
