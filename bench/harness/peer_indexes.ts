/**
 * The indexes a developer would add after reading the Supabase CLI, which the `peers` scenarios run with.
 * The CLI is run for real and what it said is kept for the report:
 * - `supabase db advisors --type performance`: an index for every unindexed foreign key it lists;
 * - `supabase inspect db table-stats` (the CLI 3 home of the old `inspect db seq-scans`): the app's tables
 *   scanned sequentially at least `minSeqScans` times;
 * - `supabase inspect db outliers`: for the slowest statements on those tables, a btree index on the columns
 *   the statement compares with a parameter, then its ORDER BY column, as a developer reading the SQL would.
 * Every statement looked at and not turned into an index is listed with the reason.
 */
import type postgres from "postgres";
import { supabaseCli } from "../../scripts/stack/migrations.ts";
import { referenceTables } from "../reference_app/schema/mod.ts";

export interface PeerIndex {
  name: string;
  table: string;
  columns: string[];
  statement: string;
  reason: string;
}

export interface CliOutput {
  command: string;
  output: unknown;
}

export interface PeerAdvice {
  cli: CliOutput[];
  indexes: PeerIndex[];
  rejected: { subject: string; reason: string }[];
}

export interface DeveloperHeuristic {
  /** The app's tables (schema public); others (the suite's own) are not the developer's concern. */
  appTables: string[];
  /** Sequential scans that make a table worth a look. */
  minSeqScans: number;
  /** Outlier statements read, slowest first. */
  outliersRead: number;
  maxIndexesPerTable: number;
}

export const developerDefaults: DeveloperHeuristic = {
  appTables: referenceTables.map((table) => table.replace(/^public\./, "")),
  minSeqScans: 10,
  outliersRead: 10,
  maxIndexesPerTable: 3,
};

export interface ForeignKeyLint {
  table: string;
  columns: string[];
}

export interface TableStatRow {
  name: string;
  seq_scans: string | number;
}

export interface OutlierRow {
  query: string;
  total_exec_time: string;
}

const maxIdentifier = 63;

function indexFor(table: string, columns: string[], reason: string, descending: Set<string>): PeerIndex {
  const name = `peer_${table}_${columns.join("_")}`.slice(0, maxIdentifier);
  const list = columns.map((c) => (descending.has(c) ? `${c} desc` : c)).join(", ");
  return {
    name,
    table,
    columns,
    reason,
    statement: `create index if not exists ${name} on public.${table} (${list})`,
  };
}

/** The app table a statement reads from, if it reads exactly one of them. */
function tableOf(query: string, appTables: string[]): string | null {
  const found = new Set(
    [...query.matchAll(/\b(?:from|join|update|into)\s+(?:public\.)?([a-z_]+)/gi)].map((m) =>
      m[1].toLowerCase()
    )
      .filter((t) => appTables.includes(t)),
  );
  return found.size === 1 ? [...found][0] : null;
}

/** Columns compared with a parameter (`col = $1`, `col = any($1)`), then the ORDER BY column. */
function columnsOf(query: string, known: string[]): { columns: string[]; descending: Set<string> } {
  const bare = (name: string) => name.split(".").at(-1)!.toLowerCase();
  const equal = [...query.matchAll(/\b([a-z_][a-z0-9_.]*)\s*=\s*(?:\$\d+|any\s*\()/gi)].map((m) =>
    bare(m[1])
  );
  const order = /\border\s+by\s+([a-z_][a-z0-9_.]*)(\s+desc)?/i.exec(query);
  const columns = [...new Set(equal)].filter((c) => known.includes(c));
  const descending = new Set<string>();
  if (order && known.includes(bare(order[1])) && !columns.includes(bare(order[1]))) {
    columns.push(bare(order[1]));
    if (order[2]) descending.add(bare(order[1]));
  }
  return { columns, descending };
}

/** Pure: the CLI's output in, the developer's indexes and the reasons for everything left alone out. */
export function adviseFromCliOutput(
  input: {
    foreignKeys: ForeignKeyLint[];
    tableStats: TableStatRow[];
    outliers: OutlierRow[];
    /** Columns of each app table. */
    columnsByTable: Record<string, string[]>;
  },
  heuristic: DeveloperHeuristic = developerDefaults,
): Omit<PeerAdvice, "cli"> {
  const indexes: PeerIndex[] = [];
  const rejected: PeerAdvice["rejected"] = [];
  const add = (index: PeerIndex) => {
    const perTable = indexes.filter((i) => i.table === index.table).length;
    const same = indexes.find((i) => i.columns.join() === index.columns.join() && i.table === index.table);
    if (same) rejected.push({ subject: index.statement, reason: `same columns as ${same.name}` });
    else if (perTable >= heuristic.maxIndexesPerTable) {
      rejected.push({
        subject: index.statement,
        reason: `already ${perTable} new indexes on ${index.table}`,
      });
    } else indexes.push(index);
  };

  for (const fk of input.foreignKeys) {
    if (!heuristic.appTables.includes(fk.table)) continue;
    add(indexFor(fk.table, fk.columns, "db advisors: unindexed foreign key", new Set()));
  }

  const scanned = new Set<string>();
  for (const row of input.tableStats) {
    const [schema, table] = row.name.includes(".") ? row.name.split(".") : ["public", row.name];
    if (schema !== "public" || !heuristic.appTables.includes(table)) continue;
    if (Number(row.seq_scans) >= heuristic.minSeqScans) scanned.add(table);
    else {rejected.push({
        subject: row.name,
        reason: `${row.seq_scans} seq scans < ${heuristic.minSeqScans}`,
      });}
  }

  for (const outlier of input.outliers.slice(0, heuristic.outliersRead)) {
    const subject = outlier.query.replace(/\s+/g, " ").slice(0, 160);
    const table = tableOf(outlier.query, heuristic.appTables);
    if (!table) {
      rejected.push({ subject, reason: "reads none or several of the app's tables" });
      continue;
    }
    if (!scanned.has(table)) {
      rejected.push({ subject, reason: `${table} is not among the sequentially scanned tables` });
      continue;
    }
    if (!/^\s*(select|with)\b/i.test(outlier.query)) {
      rejected.push({ subject, reason: "not a read" });
      continue;
    }
    const { columns, descending } = columnsOf(outlier.query, input.columnsByTable[table] ?? []);
    if (columns.length === 0) {
      rejected.push({ subject, reason: "no column compared with a parameter or ordered by" });
      continue;
    }
    add(
      indexFor(
        table,
        columns,
        `inspect db outliers (${outlier.total_exec_time}) on a seq-scanned table`,
        descending,
      ),
    );
  }
  return { indexes, rejected };
}

async function cli(args: string[]): Promise<CliOutput> {
  const output = await new Deno.Command(supabaseCli, {
    args: [...args, "--output-format", "json"],
    env: { NO_COLOR: "1", DO_NOT_TRACK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `supabase ${args[0]} ${args[1]} failed: ${new TextDecoder().decode(output.stderr)}${text}`,
    );
  }
  return {
    command: `supabase ${args.join(" ").replace(/--remote=\S+/, "--remote=<db url>")}`,
    output: JSON.parse(text),
  };
}

/** Runs the CLI against the database and derives the developer's indexes (nothing is created here). */
export async function adviseLikeADeveloper(
  dbUrl: string,
  sql: postgres.Sql,
  heuristic: DeveloperHeuristic = developerDefaults,
): Promise<PeerAdvice> {
  const remote = `--remote=${dbUrl}`;
  const advisors = await cli(["db", "advisors", "--type", "performance", "--level", "info", remote]);
  const tableStats = await cli(["inspect", "db", "table-stats", remote]);
  const outliers = await cli(["inspect", "db", "outliers", remote]);

  const columns = await sql<{ table: string; column: string; attnum: number }[]>`
    select c.relname as table, a.attname as column, a.attnum
    from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'public'::regnamespace and c.relname = any(${heuristic.appTables})
      and a.attnum > 0 and not a.attisdropped`;
  const columnsByTable: Record<string, string[]> = {};
  for (const row of columns) (columnsByTable[row.table] ??= []).push(row.column);
  const columnName = (table: string, attnum: number) =>
    columns.find((c) => c.table === table && c.attnum === attnum)?.column ?? `#${attnum}`;

  type Lint = { name: string; metadata?: { schema?: string; name?: string; fkey_columns?: number[] } };
  const foreignKeys = ((advisors.output as { results: Lint[] }).results ?? [])
    .filter((lint) => lint.name === "unindexed_foreign_keys" && lint.metadata?.schema === "public")
    .map((lint) => ({
      table: lint.metadata!.name!,
      columns: (lint.metadata!.fkey_columns ?? []).map((n) => columnName(lint.metadata!.name!, n)),
    }));
  const advice = adviseFromCliOutput({
    foreignKeys,
    tableStats: (tableStats.output as { rows: TableStatRow[] }).rows ?? [],
    outliers: (outliers.output as { rows: OutlierRow[] }).rows ?? [],
    columnsByTable,
  }, heuristic);
  return { cli: [advisors, tableStats, outliers], ...advice };
}
