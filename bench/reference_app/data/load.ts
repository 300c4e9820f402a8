/**
 * Loads the generated reference data into Postgres (COPY from stdin, streamed), and keeps a pristine copy
 * so that scenarios can be restored in seconds instead of reloaded.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type postgres from "postgres";
import {
  applyBaseSchema,
  applyShippedIndexes,
  checkMemorySetting,
  dropReferenceApp,
  listNonConstraintIndexes,
  pristineSchema,
} from "../schema/mod.ts";
import { copyChunks } from "./copy_text.ts";
import {
  type CandleRow,
  generateCandles,
  generateMessages,
  generateRobots,
  generateUsers,
  type MessageRow,
  planReferenceData,
  type RobotRow,
  type UserRow,
} from "./generate.ts";
import type { ReferenceDataOptions, ReferenceScale } from "./options.ts";

type Sql = postgres.Sql;

export const variants = ["pk-only", "shipped-indexes"] as const;
export type Variant = typeof variants[number];

export type LoadPhase =
  | "schema"
  | "users"
  | "robots"
  | "messages"
  | "candles"
  | "indexes"
  | "vacuum";

export interface LoadProgress {
  phase: LoadPhase;
  /** Rows written so far in this phase (0 for phases without rows). */
  rows: number;
  /** Rows the phase will write (0 for phases without rows). */
  total: number;
}

export interface LoadOptions extends ReferenceDataOptions {
  variant?: Variant;
  onProgress?: (progress: LoadProgress) => void;
  /**
   * Index builds get this much maintenance_work_mem (session only): the default 64 MB spills GIN and
   * trigram builds of the large scale to disk.
   */
  maintenanceWorkMem?: string;
}

export const loadDefaults = { variant: "pk-only" as Variant, maintenanceWorkMem: "256MB" } as const;

export interface LoadResult {
  variant: Variant;
  seed: number;
  now: string;
  counts: ReferenceScale;
  /** Milliseconds per phase, and in total. */
  timings: Partial<Record<LoadPhase, number>> & { total: number };
}

const robotColumns = [
  "id",
  "user_id",
  "name",
  "description",
  "code",
  "strategy_type",
  "strategy_params",
  "backtest_settings",
  "analysis_result",
  "chat_history",
  "version",
  "is_active",
  "is_public",
  "view_count",
  "copy_count",
  "deleted_at",
  "created_at",
  "updated_at",
] as const satisfies readonly (keyof RobotRow)[];

const messageColumns = ["robot_id", "user_id", "role", "content", "created_at"] as const satisfies readonly (
  keyof MessageRow
)[];

const candleColumns = [
  "symbol",
  "timeframe",
  "open_time",
  "open",
  "high",
  "low",
  "close",
  "volume",
] as const satisfies readonly (keyof CandleRow)[];

/** Streams rows into `table` with COPY ... FROM STDIN; reports progress about every 10 000 rows. */
async function copyRows<T>(
  sql: Sql,
  table: string,
  columns: readonly string[],
  rows: Iterable<T>,
  toValues: (row: T) => readonly unknown[],
  report: (rows: number) => void,
): Promise<void> {
  const progressEvery = 10_000;
  let written = 0;
  let reported = 0;
  const chunks = copyChunks(rows, toValues, undefined, (count) => {
    written += count;
    if (written - reported >= progressEvery) {
      reported = written;
      report(written);
    }
  });
  // A connection of its own: postgres.js pipelines queries, and one sent into a connection in COPY mode
  // would break it. With a pool of one, the copies therefore run one after the other.
  const connection = await sql.reserve();
  try {
    const writable = await connection.unsafe(`copy ${table} (${columns.join(", ")}) from stdin`).writable();
    await pipeline(Readable.from(chunks), writable);
  } finally {
    connection.release();
  }
  report(written);
}

async function timed(
  timings: LoadResult["timings"],
  phase: LoadPhase,
  body: () => Promise<unknown>,
): Promise<void> {
  const started = performance.now();
  await body();
  timings[phase] = Math.round(performance.now() - started);
}

const appTables = ["public.robots", "public.robot_messages", "public.market_candles"] as const;

/** Freezes and analyzes: a loaded table then stays put instead of being vacuumed during a scenario. */
async function vacuumAnalyze(sql: Sql, tables: readonly string[]): Promise<void> {
  // One statement per call: vacuum cannot run inside the implicit transaction of a multi-statement query.
  for (const table of tables) await sql.unsafe(`vacuum (freeze, analyze) ${table}`);
}

/**
 * Drops and recreates the reference app, loads the generated data, adds the shipped indexes for that
 * variant, and vacuums and analyzes. `sql` may be a pool: with two or more connections the candles load
 * beside the robots.
 */
export async function loadReferenceData(sql: Sql, options: LoadOptions): Promise<LoadResult> {
  const variant = options.variant ?? loadDefaults.variant;
  if (!variants.includes(variant)) {
    throw new RangeError(`variant must be ${variants.join(" or ")}: got '${variant}'`);
  }
  const maintenanceWorkMem = checkMemorySetting(
    "maintenanceWorkMem",
    options.maintenanceWorkMem ?? loadDefaults.maintenanceWorkMem,
  );
  const plan = planReferenceData(options);
  const { counts } = plan;
  const progress = options.onProgress ?? (() => {});
  const timings: LoadResult["timings"] = { total: 0 };
  const started = performance.now();

  await timed(timings, "schema", async () => {
    progress({ phase: "schema", rows: 0, total: 0 });
    await dropReferenceApp(sql);
    await applyBaseSchema(sql);
  });
  await timed(timings, "users", () =>
    copyRows(
      sql,
      "auth.users",
      ["id", "email", "created_at", "updated_at"],
      generateUsers(plan),
      (row: UserRow) => [row.id, row.email, row.created_at, row.created_at],
      (rows) => progress({ phase: "users", rows, total: counts.users }),
    ));

  const robotsThenMessages = async () => {
    await timed(timings, "robots", () =>
      copyRows(
        sql,
        "public.robots",
        robotColumns,
        generateRobots(plan),
        (row) => robotColumns.map((column) => row[column]),
        (rows) => progress({ phase: "robots", rows, total: counts.robots }),
      ));
    await timed(timings, "messages", () =>
      copyRows(
        sql,
        "public.robot_messages",
        messageColumns,
        generateMessages(plan),
        (row) => messageColumns.map((column) => row[column]),
        (rows) => progress({ phase: "messages", rows, total: counts.messages }),
      ));
  };
  const candles = () =>
    timed(timings, "candles", () =>
      copyRows(
        sql,
        "public.market_candles",
        candleColumns,
        generateCandles(plan),
        (row) => candleColumns.map((column) => row[column]),
        (rows) => progress({ phase: "candles", rows, total: counts.candles }),
      ));
  await Promise.all([robotsThenMessages(), candles()]);

  if (variant === "shipped-indexes") {
    await timed(timings, "indexes", async () => {
      progress({ phase: "indexes", rows: 0, total: 0 });
      await applyShippedIndexes(sql, { maintenanceWorkMem });
    });
  }
  await timed(timings, "vacuum", async () => {
    progress({ phase: "vacuum", rows: 0, total: 0 });
    await vacuumAnalyze(sql, ["auth.users", ...appTables]);
  });
  timings.total = Math.round(performance.now() - started);
  return { variant, seed: plan.options.seed, now: plan.options.now.toISOString(), counts, timings };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Tables a scenario may write to; the candles are read-only, so restores leave them alone. */
const restoredTables = ["robots", "robot_messages"] as const;

export interface SnapshotResult {
  robots: number;
  messages: number;
  ms: number;
}

/** Keeps a pristine copy of the writable tables in schema refapp_pristine (replacing an older one). */
export async function snapshotReferenceData(sql: Sql): Promise<SnapshotResult> {
  const started = performance.now();
  await sql.begin(async (tx) => {
    await tx.unsafe(`
      set local client_min_messages = warning;
      drop schema if exists ${pristineSchema} cascade;
      create schema ${pristineSchema};
      revoke all on schema ${pristineSchema} from public, anon, authenticated;
    `);
    for (const table of restoredTables) {
      await tx.unsafe(`
        create table ${pristineSchema}.${table} as table public.${table};
        alter table ${pristineSchema}.${table} enable row level security;
      `);
    }
  });
  const [row] = await sql.unsafe(`
    select (select count(*) from ${pristineSchema}.robots) as robots,
      (select count(*) from ${pristineSchema}.robot_messages) as messages`);
  return {
    robots: Number(row.robots),
    messages: Number(row.messages),
    ms: Math.round(performance.now() - started),
  };
}

/**
 * Puts the writable tables back to the snapshot: truncates them and copies the pristine rows back in their
 * original physical order, keeping whatever indexes the tables have now (they are dropped during the copy
 * and rebuilt, which is faster than maintaining them row by row). Then resets the message id sequence and
 * vacuums and analyzes.
 */
export async function restoreReferenceData(sql: Sql): Promise<{ ms: number }> {
  const started = performance.now();
  const [{ exists }] = await sql`select to_regclass(${pristineSchema + ".robots"}) is not null as exists`;
  if (!exists) {
    throw new Error(`no snapshot in schema ${pristineSchema}: call snapshotReferenceData() after loading`);
  }
  const indexes = (await listNonConstraintIndexes(sql)).filter((index) =>
    restoredTables.some((table) => index.table === `public.${table}`)
  );
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local client_min_messages = warning`);
    for (const index of indexes) await tx.unsafe(`drop index public.${quoteIdentifier(index.name)}`);
    await tx.unsafe(`truncate ${restoredTables.map((table) => `public.${table}`).join(", ")}`);
    for (const table of restoredTables) {
      const columns = await tx<{ name: string }[]>`
        select a.attname as name from pg_catalog.pg_attribute a
        where a.attrelid = ${`${pristineSchema}.${table}`}::regclass and a.attnum > 0 and not a.attisdropped
        order by a.attnum`;
      const list = columns.map((column) => quoteIdentifier(column.name)).join(", ");
      const override = table === "robot_messages" ? "overriding system value" : "";
      await tx.unsafe(
        `insert into public.${table} (${list}) ${override} select ${list} from ${pristineSchema}.${table}`,
      );
    }
    for (const index of indexes) await tx.unsafe(index.definition);
    await tx.unsafe(`
      select setval(pg_catalog.pg_get_serial_sequence('public.robot_messages', 'id'),
        coalesce((select max(id) from public.robot_messages), 0) + 1, false)`);
  });
  await vacuumAnalyze(sql, restoredTables.map((table) => `public.${table}`));
  return { ms: Math.round(performance.now() - started) };
}
