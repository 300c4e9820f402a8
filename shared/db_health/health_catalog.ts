import type { Rejection } from "../recommendations/analyzer.ts";
import type { Finding, Window } from "../finding/finding.ts";

/**
 * What the database health rules judge: catalog and statistics rows as the adapter (health_store.ts) loads
 * them, already limited to the schemas the analysis looks at. Quoted names (`qualifiedName`, …) come from
 * Postgres' own quote_ident, so the DDL the rules write is safe for any identifier.
 */

/** One index (pg_index, pg_class, pg_stat_user_indexes). */
export interface IndexRow {
  schema: string;
  table: string;
  name: string;
  /** `schema.name`, each part quoted as DDL needs it. */
  qualifiedName: string;
  /** The table's oid: indexes of one table are compared with each other. */
  tableOid: number;
  /** The access method, e.g. `btree`, `gin`. */
  method: string;
  unique: boolean;
  primary: boolean;
  /** The constraint the index backs (primary key, unique, exclusion), or null. */
  constraintName: string | null;
  /** pg_index.indisvalid: false for an index a failed concurrent build left. */
  valid: boolean;
  /** Key columns (pg_index.indnkeyatts); the columns after them are `include` columns. */
  keyCount: number;
  /** Every column, keys then includes, as pg_get_indexdef(index, k) writes it: a name or an expression. */
  columns: string[];
  /** pg_index.indkey: the table's column numbers, 0 for an expression. */
  attnums: number[];
  /** Per key column: operator class oid, collation oid (as text), pg_index.indoption (DESC, NULLS FIRST). */
  opclasses: string[];
  collations: string[];
  options: number[];
  /** The partial index's predicate (pg_get_expr), or null. */
  predicate: string | null;
  /** pg_get_indexdef(): the statement that recreates the index. */
  definition: string;
  sizeBytes: number;
  /** pg_stat_user_indexes.idx_scan: scans since the statistics were reset. */
  scans: number;
  /** What optimizer.index_usage last noted of the index; null when it has not seen it (or is not installed). */
  usage: IndexUsage | null;
  /** Whether a create index (concurrently) is building this index right now (pg_stat_progress_create_index). */
  buildInProgress: boolean;
}

/** An index as optimizer.observe_index_usage() last saw it. */
export interface IndexUsage {
  /** When the suite first saw the index (ISO). */
  firstSeenAt: string;
  /** The idx_scan it saw last, and since when that count has not changed (ISO). */
  scans: number;
  scansChangedAt: string;
}

/** One foreign key (pg_constraint contype 'f') of a table the analysis looks at. */
export interface ForeignKeyRow {
  schema: string;
  table: string;
  /** `schema.table`, quoted. */
  qualifiedTable: string;
  /** The schema, quoted. */
  quotedSchema: string;
  tableOid: number;
  name: string;
  /** The referencing columns, in constraint order. */
  columns: string[];
  /** The same columns quoted for DDL. */
  quotedColumns: string[];
  /** Their column numbers (pg_constraint.conkey). */
  attnums: number[];
  /** The referenced table, `schema.table`. */
  referencedTable: string;
  /** Estimated rows of the referencing table (pg_class.reltuples; -1 when never analyzed). */
  tableRows: number;
}

/** One table or materialized view: its key, size and column statistics (pg_class, pg_index, pg_stats). */
export interface TableRow {
  schema: string;
  table: string;
  /** `schema.table`, quoted. */
  qualifiedTable: string;
  /** pg_class.relpages of the heap and of its TOAST table. */
  heapPages: number;
  toastPages: number;
  /** pg_class.reltuples of the heap (-1: never vacuumed or analyzed) and of its TOAST table. */
  rowEstimate: number;
  toastRows: number;
  /** The table's fillfactor (100 unless set). */
  fillfactor: number;
  /** current_setting('block_size'). */
  blockSize: number;
  /** Live columns, and how many of them pg_stats has statistics for. */
  columnCount: number;
  columnsWithStats: number;
  /** Whether any column has a null fraction above 0 (the tuple header then carries a null bitmap). */
  hasNulls: boolean;
  /** Σ (1 − null_frac) × avg_width over the columns: the average data bytes of a row. */
  dataWidth: number;
  /** A materialized view (relkind 'm') rather than a table: it has no primary key to have. */
  materialized: boolean;
  /** Whether the table has a primary key. */
  hasPrimaryKey: boolean;
  /** pg_stat_user_tables.n_dead_tup, and when vacuum last ran (either kind), ISO or null. */
  deadRows: number;
  lastVacuum: string | null;
}

/** Block hits and reads of all tables and indexes looked at (pg_statio_user_tables / _indexes). */
export interface CacheCounters {
  heapHit: number;
  heapRead: number;
  indexHit: number;
  indexRead: number;
}

/** One backend of pg_stat_activity (client backends only). */
export interface SessionRow {
  pid: number;
  /** ISO times; null when Postgres does not report them. */
  backendStart: string;
  xactStart: string | null;
  queryStart: string | null;
  stateChange: string | null;
  userName: string | null;
  applicationName: string;
  /** e.g. `active`, `idle`, `idle in transaction`, `idle in transaction (aborted)`. */
  state: string | null;
  query: string;
}

/** How many connection slots clients may use and how many are taken. */
export interface ConnectionCounts {
  /** Client backends, all states. */
  total: number;
  maxConnections: number;
  /** superuser_reserved_connections: slots ordinary roles cannot take. */
  reservedConnections: number;
  /** Client backends by state. */
  byState: Record<string, number>;
}

/** Everything the rules judge, read at one moment. */
export interface HealthCatalog {
  /** The database's now() when the rows were read: the rules' clock. */
  takenAt: Date;
  /**
   * Since when the cumulative statistics (idx_scan, block hits) have been counting, as far as known:
   * pg_stat_database.stats_reset, else the oldest snapshot of the suite taken since then; null if unknown.
   */
  statsSince: Date | null;
  /** What statsSince rests on, for the evidence. */
  statsSinceSource: "pg_stat_database.stats_reset" | "optimizer.db_snapshots" | null;
  /** Whether optimizer.index_usage exists: the suite notes each index's scan count every few minutes. */
  indexUsageTracked: boolean;
  indexes: IndexRow[];
  foreignKeys: ForeignKeyRow[];
  tables: TableRow[];
  cache: CacheCounters;
  connections: ConnectionCounts;
  sessions: SessionRow[];
}

/** What one rule returns: what it found, and what it considered and let go, with the reason. */
export interface RuleOutcome {
  findings: Finding[];
  rejected: Rejection[];
}

/** The window the cumulative statistics cover: from statsSince (or takenAt when unknown) to takenAt. */
export function statsWindow(catalog: Pick<HealthCatalog, "statsSince" | "takenAt">): Window {
  return {
    from: (catalog.statsSince ?? catalog.takenAt).toISOString(),
    to: catalog.takenAt.toISOString(),
  };
}

/** `schema.table(col, …)`: how findings and rejections name an index or a column list. */
export function describeColumns(schema: string, table: string, columns: string[]): string {
  return `${schema}.${table}(${columns.join(", ")})`;
}
