import type { Sql } from "../db/client.ts";
import { createFinding, type Finding, measuredGain } from "../finding/finding.ts";
import { inRolledBackTransaction, type Tx } from "../db/rolled_back.ts";
import { type BoundStatement, formatMs, timeStatement, type Timing } from "../measure/explain_runs.ts";
import { measureDefaults, type MeasureOptions, resolveMeasureOptions } from "../measure/measure_options.ts";
import { bindParameters, parameterSlots } from "../measure/parameters.ts";
import { platformSchemas, representativeValue } from "../measure/representative.ts";
import { readWorkload, type WorkloadStatement } from "../workload/workload.ts";
import type { AnalysisContext, AnalysisResult, Analyzer, Rejection } from "../recommendations/analyzer.ts";
import { qualifiedName, quoteIdent } from "../sql/identifiers.ts";
import { ownStatement } from "../sql/own_statement.ts";
import { readSelectShape, type SelectShape } from "./select_shape.ts";
import { type Narrowing, planNarrowing } from "./wide_columns.ts";

/**
 * The query shape analyzer: finds the workload's SELECTs whose rows carry wide or TOASTed columns, and
 * measures each with and without them. Postgres 15's EXPLAIN ANALYZE neither detoasts nor converts the rows
 * it produces (Postgres 17 added its SERIALIZE option for that), so each variant is measured as
 * `select count(*), sum(octet_length(r::text)) from (<statement>) r`, which turns every row into text as
 * sending it would, and the same run gives the bytes the statement returns. Parameters take values drawn
 * from the data (parameters.ts, representativeValue); everything runs in a transaction that is rolled back.
 * Statements run as the analyzer's role: row level security is the RLS analyzer's to measure.
 */

/** Options of createQueryShapeAnalyzer(); every one has a default (queryShapeAnalyzerDefaults). */
export interface QueryShapeAnalyzerOptions extends MeasureOptions {
  /** The heaviest statements of the window that are considered. */
  statements: number;
  /** A column is wide when its values average at least this many bytes as text. */
  minColumnBytes: number;
  /** Rows read to measure column widths: the first ones in physical order. */
  sampleRows: number;
  /** Schemas whose statements are not the project's. */
  excludedSchemas: string[];
}

/**
 * The defaults of QueryShapeAnalyzerOptions. A gain counts from 0.5 ms and 20 % of the statement's time:
 * narrowing a select list is a code change, worth asking for only when it pays.
 */
export const queryShapeAnalyzerDefaults: QueryShapeAnalyzerOptions = {
  ...measureDefaults,
  minGainMs: 0.5,
  minGainRatio: 0.2,
  statements: 50,
  minColumnBytes: 512,
  sampleRows: 1000,
  excludedSchemas: [...platformSchemas],
};

/**
 * The query shape analyzer (see the top of this file). Throws a RangeError that says which option is wrong
 * and how.
 */
export function createQueryShapeAnalyzer(options: Partial<QueryShapeAnalyzerOptions> = {}): Analyzer {
  const resolved = resolveMeasureOptions(queryShapeAnalyzerDefaults, options, {
    statements: 1,
    minColumnBytes: 1,
    sampleRows: 1,
  });
  return { name: "query-shape", analyze: (context) => analyzeQueryShapes(context, resolved) };
}

/** A table's columns in order and the average size of its variable-width ones, as text. */
interface TableWidths {
  schema: string;
  table: string;
  columns: string[];
  avgBytes: Map<string, number>;
  toastBytes: number;
}

/** One variant of a statement, measured. */
interface Variant {
  timing: Timing;
  rows: number;
  bytes: number;
}

const rule = "query-shape.wide-columns";

async function analyzeQueryShapes(
  context: AnalysisContext,
  options: QueryShapeAnalyzerOptions,
): Promise<AnalysisResult> {
  const { sql } = context;
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const notes: string[] = [
    "statements are measured as the analyzer's role, without row level security",
  ];

  // 1. the heaviest statements of the window
  const workload = await readWorkload(sql, context.window);
  const statements = workload.statements.slice(0, options.statements);
  const excluded = workload.excluded;
  notes.push(workload.source.note);
  notes.push(`workload: ${statements.length} statements considered, ${excluded} of the suite's own left out`);
  const tables = new Map<string, TableWidths | null>();

  for (const statement of statements) {
    const subject = `query:${statement.queryid}`;
    const reject = (reason: string) => rejected.push({ rule, subject, reason });
    if (Date.now() >= context.deadline) {
      notes.push(`deadline reached: ${subject} and lighter statements were not measured`);
      break;
    }
    // 2. single-table SELECTs only
    const read = readSelectShape(statement.query);
    if ("reason" in read) {
      reject(read.reason);
      continue;
    }
    if (read.shape.schema !== null && options.excludedSchemas.includes(read.shape.schema)) {
      reject(`reads schema ${read.shape.schema}, which is not the project's`);
      continue;
    }
    // 3. the widths of the table's columns, read once per table
    const widths = await tableWidths(sql, read.shape, options, tables);
    if (!widths) {
      reject(`table ${read.shape.schema ?? ""}${read.shape.schema ? "." : ""}${read.shape.table} not found`);
      continue;
    }
    if (options.excludedSchemas.includes(widths.schema)) {
      reject(`reads schema ${widths.schema}, which is not the project's`);
      continue;
    }
    // 4. the statement without its wide columns
    const planned = planNarrowing(
      statement.query,
      read.shape,
      widths.columns,
      widths.avgBytes,
      options.minColumnBytes,
    );
    if ("reason" in planned) {
      reject(planned.reason);
      continue;
    }
    // 5. both measured on the same drawn parameters, in one rolled-back transaction
    try {
      const measured = await measureNarrowing(sql, statement, planned.narrowing, widths, options);
      if ("reason" in measured) {
        reject(measured.reason);
        continue;
      }
      const { wide, narrow, window } = measured;
      const gain = wide.timing.medianMs - narrow.timing.medianMs;
      if (gain < options.minGainMs || gain < options.minGainRatio * wide.timing.medianMs) {
        reject(
          `measured gain below minGainMs ${options.minGainMs} ms or minGainRatio ${options.minGainRatio}: ` +
            `${formatMs(wide.timing.medianMs)} with the wide columns, ${
              formatMs(narrow.timing.medianMs)
            } without`,
        );
        continue;
      }
      findings.push(
        narrowingFinding(
          statement,
          planned.narrowing,
          widths,
          wide,
          narrow,
          window,
          options,
          workload.source.series,
        ),
      );
    } catch (error) {
      reject(`could not be measured: ${(error as Error).message}`);
    }
  }
  return { findings, rejected, notes };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The table's column widths, read once per table (null when the table does not resolve). */
async function tableWidths(
  sql: Sql,
  shape: SelectShape,
  options: QueryShapeAnalyzerOptions,
  cache: Map<string, TableWidths | null>,
): Promise<TableWidths | null> {
  const name = shape.schema === null ? quoteIdent(shape.table) : qualifiedName(shape.schema, shape.table);
  if (cache.has(name)) return cache.get(name)!;
  const widths = await inRolledBackTransaction(sql, options, async (tx) => {
    const columns = await tx<
      { schema: string; table: string; name: string; varlena: boolean; toast: string }[]
    >`
      select n.nspname::text as schema, c.relname::text as table, a.attname::text as name,
        a.attlen = -1 as varlena,
        coalesce(pg_catalog.pg_relation_size(nullif(c.reltoastrelid, 0)), 0)::text as toast
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid
      where c.oid = pg_catalog.to_regclass(${name}) and a.attnum > 0 and not a.attisdropped
      order by a.attnum`;
    if (columns.length === 0) return null;
    const { schema, table } = columns[0];
    const varlena = columns.filter((c) => c.varlena).map((c) => c.name);
    const avgBytes = new Map<string, number>();
    if (varlena.length > 0) {
      // the size of each value as text, the form it is sent in, over the first sampleRows rows
      const [row] = await tx.unsafe(ownStatement(
        `select ${
          varlena.map((c, i) => `coalesce(avg(octet_length(${quoteIdent(c)}::text)), 0)::float8 as c${i}`)
            .join(", ")
        } from (select ${varlena.map(quoteIdent).join(", ")} from ${
          qualifiedName(schema, table)
        } limit ${options.sampleRows}) s`,
      ));
      varlena.forEach((c, i) => avgBytes.set(c, Number(row[`c${i}`])));
    }
    return {
      schema,
      table,
      columns: columns.map((c) => c.name),
      avgBytes,
      toastBytes: Number(columns[0].toast),
    };
  });
  cache.set(name, widths);
  return widths;
}

/** The statement's parameters, each column's from its most common value (see representativeValue). */
async function drawParameters(
  tx: Tx,
  statement: string,
  widths: TableWidths,
  options: QueryShapeAnalyzerOptions,
): Promise<{ params: (string | null)[] } | { reason: string }> {
  const slots = parameterSlots(statement);
  const values = new Map<string, string | null>();
  for (const slot of slots) {
    if (slot.kind === "column" && !values.has(slot.column)) {
      values.set(slot.column, await representativeValue(tx, widths, slot.column));
    }
  }
  return bindParameters(slots, (column) => values.get(column) ?? null, options.page);
}

/** `statement` wrapped so that each row is converted to text, as sending it would. */
function serialized(statement: BoundStatement): BoundStatement {
  return {
    text: ownStatement(
      `select count(*) as rows, coalesce(sum(octet_length(r::text)), 0) as bytes from (${
        statement.text.replace(/;\s*$/, "")
      }) r`,
    ),
    params: statement.params,
  };
}

/** The variant's rows, bytes and timing; null when it returns no row, which leaves nothing to measure. */
async function measureVariant(tx: Tx, statement: BoundStatement, runs: number): Promise<Variant | null> {
  const wrapped = serialized(statement);
  const [result] = await tx.unsafe(wrapped.text, wrapped.params);
  if (Number(result.rows) === 0) return null;
  return {
    timing: await timeStatement(tx, wrapped, runs),
    rows: Number(result.rows),
    bytes: Number(result.bytes),
  };
}

async function measureNarrowing(
  sql: Sql,
  statement: WorkloadStatement,
  narrowing: Narrowing,
  widths: TableWidths,
  options: QueryShapeAnalyzerOptions,
): Promise<{ wide: Variant; narrow: Variant; window: { from: string; to: string } } | { reason: string }> {
  const from = new Date().toISOString();
  return await inRolledBackTransaction(sql, options, async (tx) => {
    const bound = await drawParameters(tx, statement.query, widths, options);
    if ("reason" in bound) return bound;
    const wide = await measureVariant(tx, { text: statement.query, params: bound.params }, options.runs);
    if (wide === null) return { reason: "returned no row on the drawn parameters: nothing to measure" };
    const narrow = await measureVariant(
      tx,
      { text: narrowing.narrowStatement, params: bound.params },
      options.runs,
    );
    if (narrow === null) return { reason: "returned no row without the wide columns" };
    return { wide, narrow, window: { from, to: new Date().toISOString() } };
  });
}

function narrowingFinding(
  statement: WorkloadStatement,
  narrowing: Narrowing,
  widths: TableWidths,
  wide: Variant,
  narrow: Variant,
  window: { from: string; to: string },
  options: QueryShapeAnalyzerOptions,
  workloadSeries: string,
): Finding {
  const gain = wide.timing.medianMs - narrow.timing.medianMs;
  const table = `${widths.schema}.${widths.table}`;
  const wideNames = narrowing.wide.map((w) => w.column);
  const columnSizes = narrowing.wide.map((w) => `${w.column} ${kb(w.avgBytes)}`).join(", ");
  return createFinding({
    rule,
    system: "db",
    subject: `query:${statement.queryid}`,
    severity: gain >= 0.5 * wide.timing.medianMs ? "warning" : "info",
    title: `A query on ${table} returns ${wideNames.join(", ")}: ${formatMs(wide.timing.medianMs)} → ${
      formatMs(narrow.timing.medianMs)
    } per call without ${wideNames.length === 1 ? "it" : "them"}`.slice(0, 200),
    detail: `\`${statement.query}\` (${statement.calls} calls in the window) returns ${wide.rows} rows of ` +
      `${kb(wide.bytes)} on representative parameters; without ${wideNames.join(", ")} (average per row: ` +
      `${columnSizes}) it returns ${kb(narrow.bytes)} and takes ${
        formatMs(narrow.timing.medianMs)
      } instead of ` +
      `${formatMs(wide.timing.medianMs)}, ${formatMs(gain * statement.calls)} over the window's calls. ` +
      `The table's TOAST holds ${kb(widths.toastBytes)}. Time is the server's (converting rows to text ` +
      `included); sending the bytes to the client costs more on top.`,
    evidence: {
      series: [workloadSeries, "EXPLAIN (ANALYZE)"],
      windows: [window],
      statistic: { name: "bytes returned per call with the wide columns", value: wide.bytes, unit: "bytes" },
    },
    gain: measuredGain(
      gain,
      "ms per call",
      window,
      `EXPLAIN (ANALYZE) execution time of select count(*), sum(octet_length(r::text)) from (<statement>) r, ` +
        `with and without the wide columns, on parameters drawn from the data (each column's most common value), ` +
        `median of ${options.runs} runs each after one warm-up run, in one transaction that was rolled back`,
    ),
    action: {
      kind: "guidance",
      text:
        `Select only the columns the caller uses: \`select ${
          narrowing.narrowColumns.join(", ")
        } from ${table} …\` ` +
        `(supabase-js: \`.select("${narrowing.narrowColumns.join(",")}")\`), and fetch ${
          wideNames.join(", ")
        } ` +
        `only where one row is shown in full.`,
    },
    // a select list is the application's code: only its authors can narrow it
    autoApplicable: false,
  });
}
