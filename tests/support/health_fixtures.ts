/**
 * Catalog rows for the unit tests of the database health rules: a plain, valid, used btree index on
 * public.orders, and so on, each overridable field by field.
 */
import type {
  ForeignKeyRow,
  HealthCatalog,
  IndexRow,
  SessionRow,
  TableRow,
} from "../../shared/db_health/health_catalog.ts";

export const ordersOid = 16_400;
const DEFAULT_COLLATION = "0";
const INT8_BTREE_OPS = "3124";

/** A valid, plain, used btree index of public.orders on `columns` (given as names with attnums). */
export function index(
  name: string,
  columns: Array<[string, number]>,
  overrides: Partial<IndexRow> = {},
): IndexRow {
  const keyCount = overrides.keyCount ?? columns.length;
  const row: IndexRow = {
    schema: "public",
    table: "orders",
    name,
    qualifiedName: `public.${name}`,
    tableOid: ordersOid,
    method: "btree",
    unique: false,
    primary: false,
    constraintName: null,
    valid: true,
    keyCount,
    columns: columns.map(([column]) => column),
    attnums: columns.map(([, attnum]) => attnum),
    opclasses: columns.slice(0, keyCount).map(() => INT8_BTREE_OPS),
    collations: columns.slice(0, keyCount).map(() => DEFAULT_COLLATION),
    options: columns.slice(0, keyCount).map(() => 0),
    predicate: null,
    definition: `CREATE INDEX ${name} ON public.orders USING btree (${columns.map(([c]) => c).join(", ")})`,
    sizeBytes: 2 * 1024 * 1024,
    scans: 10,
    buildInProgress: false,
    usage: null,
    ...overrides,
  };
  return row;
}

/** The primary key of public.orders, on id (attnum 1). */
export const ordersPkey = index("orders_pkey", [["id", 1]], {
  unique: true,
  primary: true,
  constraintName: "orders_pkey",
});

/** A foreign key of public.orders on `columns` (names with attnums) to public.customers. */
export function foreignKey(
  name: string,
  columns: Array<[string, number]>,
  overrides: Partial<ForeignKeyRow> = {},
): ForeignKeyRow {
  return {
    schema: "public",
    table: "orders",
    qualifiedTable: "public.orders",
    quotedSchema: "public",
    tableOid: ordersOid,
    name,
    columns: columns.map(([column]) => column),
    quotedColumns: columns.map(([column]) => column),
    attnums: columns.map(([, attnum]) => attnum),
    referencedTable: "public.customers",
    tableRows: 50_000,
    ...overrides,
  };
}

/** public.orders of 10 000 rows of two bigints: 44 bytes a row, 185 rows in an 8 KiB page. */
export function table(overrides: Partial<TableRow> = {}): TableRow {
  return {
    schema: "public",
    table: "orders",
    qualifiedTable: "public.orders",
    heapPages: 55,
    toastPages: 0,
    rowEstimate: 10_000,
    toastRows: 0,
    fillfactor: 100,
    blockSize: 8192,
    columnCount: 2,
    columnsWithStats: 2,
    hasNulls: false,
    dataWidth: 16,
    materialized: false,
    hasPrimaryKey: true,
    deadRows: 0,
    lastVacuum: null,
    ...overrides,
  };
}

export const takenAt = new Date("2026-11-28T12:00:00Z");

/** A client session of the app, idle. */
export function session(overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    pid: 4242,
    backendStart: "2026-11-28T11:00:00.000Z",
    xactStart: null,
    queryStart: "2026-11-28T11:59:00.000Z",
    stateChange: "2026-11-28T11:59:00.000Z",
    userName: "authenticator",
    applicationName: "postgrest",
    state: "idle",
    query: "select 1",
    ...overrides,
  };
}

/**
 * A catalog read at `takenAt` with statistics counting for 30 days, without optimizer.index_usage, and
 * nothing in it.
 */
export function catalog(overrides: Partial<HealthCatalog> = {}): HealthCatalog {
  return {
    takenAt,
    statsSince: new Date(takenAt.getTime() - 30 * 86_400_000),
    statsSinceSource: "pg_stat_database.stats_reset",
    indexUsageTracked: false,
    indexes: [],
    foreignKeys: [],
    tables: [],
    cache: { heapHit: 0, heapRead: 0, indexHit: 0, indexRead: 0 },
    connections: { total: 5, maxConnections: 100, reservedConnections: 3, byState: { idle: 5 } },
    sessions: [],
    ...overrides,
  };
}
