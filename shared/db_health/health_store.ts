import type { Sql } from "../db/client.ts";
import type { DbHealthOptions } from "./db_health_options.ts";
import type {
  CacheCounters,
  ConnectionCounts,
  ForeignKeyRow,
  HealthCatalog,
  IndexRow,
  IndexUsage,
  SessionRow,
  TableRow,
} from "./health_catalog.ts";

/**
 * The Postgres adapter of the database health rules: reads the catalog and statistics rows they judge
 * (HealthCatalog), and decides nothing. Partitioned tables and their indexes are left out (relkind 'r' and
 * 'm' only): pg_stat_user_indexes counts scans on the partitions' indexes, not the parent's, and the
 * partitions themselves are read like any table. Everything is read-only.
 */

type Row = Record<string, unknown>;

function iso(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(value as string).toISOString();
}

/** Schemas the analysis looks at: not a system schema, not an excluded one. */
function lookedAt(sql: Sql, schemaColumn: string, options: Pick<DbHealthOptions, "excludedSchemas">) {
  const column = sql.unsafe(schemaColumn);
  return sql`(${column}::text <> all(${sql.array(options.excludedSchemas)}::text[])
    and ${column} not in ('pg_catalog', 'information_schema')
    and ${column}::text not like 'pg\\_toast%' and ${column}::text not like 'pg\\_temp\\_%')`;
}

/** optimizer.index_usage by index oid; empty when the suite is not installed in this database. */
async function loadIndexUsage(sql: Sql, tracked: boolean): Promise<Map<string, IndexUsage>> {
  if (!tracked) return new Map();
  const rows = await sql<Row[]>`
    select u.indexrelid::int8 as index_oid, u.first_seen_at, u.idx_scan, u.scans_changed_at
    from optimizer.index_usage u`;
  return new Map(rows.map((row) => [
    String(row.index_oid),
    {
      firstSeenAt: iso(row.first_seen_at) as string,
      scans: Number(row.idx_scan),
      scansChangedAt: iso(row.scans_changed_at) as string,
    },
  ]));
}

async function loadIndexes(
  sql: Sql,
  options: Pick<DbHealthOptions, "excludedSchemas">,
  usage: Map<string, IndexUsage>,
): Promise<IndexRow[]> {
  const rows = await sql<Row[]>`
    select i.indexrelid::int8 as index_oid, n.nspname::text as schema, t.relname::text as table_name, c.relname::text as name,
           pg_catalog.format('%I.%I', n.nspname, c.relname) as qualified_name, t.oid::int8 as table_oid,
           am.amname::text as method, i.indisunique as is_unique, i.indisprimary as is_primary,
           con.conname::text as constraint_name, i.indisvalid as valid, i.indnkeyatts as key_count,
           array(select pg_catalog.pg_get_indexdef(i.indexrelid, k, false)
                 from pg_catalog.generate_series(1, i.indnatts) k order by k) as columns,
           -- int2vector and oidvector have no array parser in postgres.js: read them as text arrays
           pg_catalog.string_to_array(i.indkey::text, ' ') as attnums,
           pg_catalog.string_to_array(i.indclass::text, ' ') as opclasses,
           pg_catalog.string_to_array(i.indcollation::text, ' ') as collations,
           pg_catalog.string_to_array(i.indoption::text, ' ') as options,
           pg_catalog.pg_get_expr(i.indpred, i.indrelid) as predicate,
           pg_catalog.pg_get_indexdef(i.indexrelid) as definition,
           pg_catalog.pg_relation_size(i.indexrelid) as size_bytes,
           coalesce(s.idx_scan, 0) as scans,
           exists (select 1 from pg_catalog.pg_stat_progress_create_index p where p.index_relid = i.indexrelid)
             as build_in_progress
    from pg_catalog.pg_index i
    join pg_catalog.pg_class c on c.oid = i.indexrelid
    join pg_catalog.pg_class t on t.oid = i.indrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    join pg_catalog.pg_am am on am.oid = c.relam
    -- the constraint the index enforces; a foreign key's conindid names the referenced table's index instead
    left join pg_catalog.pg_constraint con on con.conindid = i.indexrelid and con.contype in ('p', 'u', 'x')
    left join pg_catalog.pg_stat_user_indexes s on s.indexrelid = i.indexrelid
    where t.relkind in ('r', 'm') and ${lookedAt(sql, "n.nspname", options)}
    order by n.nspname, t.relname, c.relname`;
  return rows.map((row) => ({
    schema: row.schema as string,
    table: row.table_name as string,
    name: row.name as string,
    qualifiedName: row.qualified_name as string,
    tableOid: Number(row.table_oid),
    method: row.method as string,
    unique: row.is_unique as boolean,
    primary: row.is_primary as boolean,
    constraintName: row.constraint_name as string | null,
    valid: row.valid as boolean,
    keyCount: Number(row.key_count),
    columns: row.columns as string[],
    attnums: (row.attnums as string[]).map(Number),
    opclasses: row.opclasses as string[],
    collations: row.collations as string[],
    options: (row.options as string[]).map(Number),
    predicate: row.predicate as string | null,
    definition: row.definition as string,
    sizeBytes: Number(row.size_bytes),
    scans: Number(row.scans),
    buildInProgress: row.build_in_progress as boolean,
    usage: usage.get(String(row.index_oid)) ?? null,
  }));
}

async function loadForeignKeys(
  sql: Sql,
  options: Pick<DbHealthOptions, "excludedSchemas">,
): Promise<ForeignKeyRow[]> {
  const rows = await sql<Row[]>`
    select n.nspname::text as schema, t.relname::text as table_name,
           pg_catalog.format('%I.%I', n.nspname, t.relname) as qualified_table,
           pg_catalog.quote_ident(n.nspname) as quoted_schema, t.oid::int8 as table_oid,
           con.conname::text as name,
           array(select a.attname::text
                 from pg_catalog.unnest(con.conkey) with ordinality k(attnum, ord)
                 join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
                 order by k.ord) as columns,
           array(select pg_catalog.quote_ident(a.attname)
                 from pg_catalog.unnest(con.conkey) with ordinality k(attnum, ord)
                 join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
                 order by k.ord) as quoted_columns,
           con.conkey as attnums,
           rn.nspname::text || '.' || rt.relname::text as referenced_table,
           t.reltuples as table_rows
    from pg_catalog.pg_constraint con
    join pg_catalog.pg_class t on t.oid = con.conrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    join pg_catalog.pg_class rt on rt.oid = con.confrelid
    join pg_catalog.pg_namespace rn on rn.oid = rt.relnamespace
    -- a partition's copy of its parent's key (conparentid) is the parent's: partitioned tables are left out
    where con.contype = 'f' and con.conparentid = 0 and t.relkind = 'r'
      and ${lookedAt(sql, "n.nspname", options)}
    order by n.nspname, t.relname, con.conname`;
  return rows.map((row) => ({
    schema: row.schema as string,
    table: row.table_name as string,
    qualifiedTable: row.qualified_table as string,
    quotedSchema: row.quoted_schema as string,
    tableOid: Number(row.table_oid),
    name: row.name as string,
    columns: row.columns as string[],
    quotedColumns: row.quoted_columns as string[],
    attnums: (row.attnums as number[]).map(Number),
    referencedTable: row.referenced_table as string,
    tableRows: Number(row.table_rows),
  }));
}

async function loadTables(sql: Sql, options: Pick<DbHealthOptions, "excludedSchemas">): Promise<TableRow[]> {
  const rows = await sql<Row[]>`
    select n.nspname::text as schema, c.relname::text as table_name,
           pg_catalog.format('%I.%I', n.nspname, c.relname) as qualified_table,
           c.relpages as heap_pages, coalesce(toast.relpages, 0) as toast_pages, c.reltuples as row_estimate,
           greatest(coalesce(toast.reltuples, 0), 0) as toast_rows,
           coalesce(substring(pg_catalog.array_to_string(c.reloptions, ' ') from 'fillfactor=([0-9]+)')::integer,
                    100) as fillfactor,
           pg_catalog.current_setting('block_size')::integer as block_size,
           cols.column_count, cols.columns_with_stats, cols.has_nulls, cols.data_width,
           c.relkind = 'm' as materialized,
           exists (select 1 from pg_catalog.pg_index i where i.indrelid = c.oid and i.indisprimary)
             as has_primary_key,
           coalesce(st.n_dead_tup, 0) as dead_rows,
           greatest(st.last_vacuum, st.last_autovacuum) as last_vacuum
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    left join pg_catalog.pg_class toast on toast.oid = c.reltoastrelid
    left join pg_catalog.pg_stat_user_tables st on st.relid = c.oid
    cross join lateral (
      select count(*) as column_count, count(s.attname) as columns_with_stats,
             coalesce(max(s.null_frac), 0) > 0 as has_nulls,
             coalesce(sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)), 0) as data_width
      from pg_catalog.pg_attribute a
      left join pg_catalog.pg_stats s
        on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = a.attname and not s.inherited
      where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    ) cols
    where c.relkind in ('r', 'm') and ${lookedAt(sql, "n.nspname", options)}
    order by n.nspname, c.relname`;
  return rows.map((row) => ({
    schema: row.schema as string,
    table: row.table_name as string,
    qualifiedTable: row.qualified_table as string,
    heapPages: Number(row.heap_pages),
    toastPages: Number(row.toast_pages),
    rowEstimate: Number(row.row_estimate),
    toastRows: Number(row.toast_rows),
    fillfactor: Number(row.fillfactor),
    blockSize: Number(row.block_size),
    columnCount: Number(row.column_count),
    columnsWithStats: Number(row.columns_with_stats),
    hasNulls: row.has_nulls as boolean,
    dataWidth: Number(row.data_width),
    materialized: row.materialized as boolean,
    hasPrimaryKey: row.has_primary_key as boolean,
    deadRows: Number(row.dead_rows),
    lastVacuum: iso(row.last_vacuum),
  }));
}

async function loadCache(
  sql: Sql,
  options: Pick<DbHealthOptions, "excludedSchemas">,
): Promise<CacheCounters> {
  const [row] = await sql<Row[]>`
    select (select coalesce(sum(coalesce(t.heap_blks_hit, 0)), 0) from pg_catalog.pg_statio_user_tables t
            where ${lookedAt(sql, "t.schemaname", options)}) as heap_hit,
           (select coalesce(sum(coalesce(t.heap_blks_read, 0)), 0) from pg_catalog.pg_statio_user_tables t
            where ${lookedAt(sql, "t.schemaname", options)}) as heap_read,
           (select coalesce(sum(coalesce(i.idx_blks_hit, 0)), 0) from pg_catalog.pg_statio_user_indexes i
            where ${lookedAt(sql, "i.schemaname", options)}) as index_hit,
           (select coalesce(sum(coalesce(i.idx_blks_read, 0)), 0) from pg_catalog.pg_statio_user_indexes i
            where ${lookedAt(sql, "i.schemaname", options)}) as index_read`;
  return {
    heapHit: Number(row.heap_hit),
    heapRead: Number(row.heap_read),
    indexHit: Number(row.index_hit),
    indexRead: Number(row.index_read),
  };
}

async function loadActivity(sql: Sql): Promise<{ connections: ConnectionCounts; sessions: SessionRow[] }> {
  // client backends only: background workers, autovacuum and WAL senders use no connection slot
  const rows = await sql<Row[]>`
    select a.pid, a.backend_start, a.xact_start, a.query_start, a.state_change, a.usename::text as user_name,
           coalesce(a.application_name, '') as application_name, a.state, coalesce(a.query, '') as query,
           a.pid = pg_catalog.pg_backend_pid() as is_self,
           a.datname = pg_catalog.current_database() as this_database
    from pg_catalog.pg_stat_activity a
    where a.backend_type = 'client backend'`;
  const [settings] = await sql<Row[]>`
    select pg_catalog.current_setting('max_connections')::integer as max_connections,
           pg_catalog.current_setting('superuser_reserved_connections')::integer as reserved_connections`;
  const byState: Record<string, number> = {};
  for (const row of rows) {
    const state = (row.state as string | null) ?? "unknown";
    byState[state] = (byState[state] ?? 0) + 1;
  }
  return {
    connections: {
      // max_connections is for the whole server: every database's sessions count, this one's included
      total: rows.length,
      maxConnections: Number(settings.max_connections),
      reservedConnections: Number(settings.reserved_connections),
      byState,
    },
    // this analysis's own session is not a problem to report, nor are other databases' sessions ours
    sessions: rows.filter((row) => !row.is_self && row.this_database).map((row) => ({
      pid: Number(row.pid),
      backendStart: iso(row.backend_start) as string,
      xactStart: iso(row.xact_start),
      queryStart: iso(row.query_start),
      stateChange: iso(row.state_change),
      userName: row.user_name as string | null,
      applicationName: row.application_name as string,
      state: row.state as string | null,
      query: row.query as string,
    })),
  };
}

/**
 * Since when the cumulative statistics count: pg_stat_database.stats_reset, or, when the database's were
 * never reset (null), the oldest of the suite's snapshots that saw the same null, if the suite is installed.
 */
async function loadStatsSince(
  sql: Sql,
): Promise<Pick<HealthCatalog, "takenAt" | "statsSince" | "statsSinceSource" | "indexUsageTracked">> {
  const [row] = await sql<Row[]>`
    select now() as taken_at, d.stats_reset,
           pg_catalog.to_regclass('optimizer.db_snapshots') is not null as has_snapshots,
           pg_catalog.to_regclass('optimizer.index_usage') is not null as index_usage_tracked
    from pg_catalog.pg_stat_database d where d.datname = pg_catalog.current_database()`;
  const takenAt = new Date(row.taken_at as string);
  const indexUsageTracked = row.index_usage_tracked as boolean;
  if (row.stats_reset !== null) {
    return {
      takenAt,
      indexUsageTracked,
      statsSince: new Date(row.stats_reset as string),
      statsSinceSource: "pg_stat_database.stats_reset",
    };
  }
  if (row.has_snapshots) {
    const [oldest] = await sql<Row[]>`
      select min(s.taken_at) as taken_at from optimizer.db_snapshots s where s.db_stats_reset is null`;
    if (oldest.taken_at !== null) {
      return {
        takenAt,
        indexUsageTracked,
        statsSince: new Date(oldest.taken_at as string),
        statsSinceSource: "optimizer.db_snapshots",
      };
    }
  }
  return { takenAt, indexUsageTracked, statsSince: null, statsSinceSource: null };
}

/** Reads everything the database health rules judge, in the schemas they look at. */
export async function loadHealthCatalog(
  sql: Sql,
  options: Pick<DbHealthOptions, "excludedSchemas">,
): Promise<HealthCatalog> {
  const since = await loadStatsSince(sql);
  const indexes = await loadIndexes(sql, options, await loadIndexUsage(sql, since.indexUsageTracked));
  const foreignKeys = await loadForeignKeys(sql, options);
  const tables = await loadTables(sql, options);
  const cache = await loadCache(sql, options);
  const activity = await loadActivity(sql);
  return { ...since, indexes, foreignKeys, tables, cache, ...activity };
}
