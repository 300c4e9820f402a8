import type { Sql } from "../db/client.ts";
import type { Window } from "../finding/finding.ts";
import type { AnalysisContext, AnalysisResult, Analyzer, Rejection } from "../recommendations/analyzer.ts";
import { learnConstants, type QualRow, specializeStatement } from "./constants.ts";
import { type ExistingIndex, generateCandidates, type TableStats } from "./candidates.ts";
import { indexFinding, snapshotSeries, trigramFinding } from "./findings.ts";
import { withPlanner } from "./hypopg.ts";
import { type AdvisorOptions, resolveAdvisorOptions } from "./options.ts";
import type { PlanSummary } from "./plan.ts";
import { type CostedStatement, selectIndexes, type TableWrites } from "./select.ts";
import { selectWorkload, updatedColumns } from "./workload.ts";
import { readStatements, type WorkloadSource, type WorkloadStatement } from "../workload/workload.ts";
import { readableIdent } from "../sql/identifiers.ts";

/**
 * The workload index advisor, as an Analyzer of the recommendations run. A named pipeline; the pure steps
 * live in their own files, the reads here and in hypopg.ts:
 * 1. workload: the top statements of the window (optimizer.statement_deltas, else pg_stat_statements;
 *    workload.ts);
 * 2. explain: generic plans of the statements, their texts rewritten so they can be prepared (hypopg.ts,
 *    rewrite.ts), read into per-table predicates, sort keys and columns (plan.ts);
 * 3. candidates: multicolumn, sort, partial, covering, trigram and expression indexes, minus those an
 *    existing index provides (candidates.ts);
 * 4. evaluate: generic-plan costs with hypothetical indexes (hypopg.ts);
 * 5. select: the set with the largest weighted saving net of write penalties, within the limits (select.ts);
 * 6. findings: one per chosen index, with its DDL and rollback (findings.ts).
 * It changes nothing in the database: everything it plans happens in one rolled-back transaction.
 */

/** Reads the schemas of the extensions the advisor uses; null for one not installed. */
async function readExtensions(
  sql: Sql,
): Promise<Record<"hypopg" | "pg_trgm" | "pg_qualstats", string | null>> {
  const rows = await sql`
    select e.extname, n.nspname
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
    where e.extname in ('hypopg', 'pg_trgm', 'pg_qualstats')`;
  const schema = (name: string) => rows.find((r) => r.extname === name)?.nspname ?? null;
  return { hypopg: schema("hypopg"), pg_trgm: schema("pg_trgm"), pg_qualstats: schema("pg_qualstats") };
}

/** Reads pg_qualstats' equality predicates of the statements (queryids) on columns of tables. */
async function readQualConstants(sql: Sql, schema: string, queryids: string[]): Promise<QualRow[]> {
  const rows = await sql.unsafe(
    `select q.queryid::text as queryid, n.nspname as schema, c.relname as table, a.attname as column,
            o.oprname as operator, q.constvalue, q.occurences::float8 as occurences
     from ${readableIdent(schema)}.pg_qualstats() q
     join pg_catalog.pg_class c on c.oid = q.lrelid
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     join pg_catalog.pg_attribute a on a.attrelid = q.lrelid and a.attnum = q.lattnum
     join pg_catalog.pg_operator o on o.oid = q.opno
     where q.queryid::text = any($1) and q.constvalue is not null
       and q.rrelid is null -- a column compared with another table's column is a join, not a constant`,
    [queryids],
  );
  return rows.map((r) => ({
    queryid: r.queryid,
    schema: r.schema,
    table: r.table,
    column: r.column,
    operator: r.operator,
    constvalue: r.constvalue,
    occurences: Number(r.occurences),
  }));
}

/** Reads the valid indexes of the tables (`schema.table`). */
async function readExistingIndexes(sql: Sql, tables: string[]): Promise<ExistingIndex[]> {
  const rows = await sql`
    select n.nspname as schema, t.relname as table, i.relname as name, am.amname as method,
           array(select pg_catalog.pg_get_indexdef(x.indexrelid, k, true)
                 from pg_catalog.generate_series(1, x.indnkeyatts) k) as keys,
           array(select pg_catalog.pg_get_indexdef(x.indexrelid, k, true)
                 from pg_catalog.generate_series(x.indnkeyatts + 1, x.indnatts) k) as include,
           pg_catalog.pg_get_expr(x.indpred, x.indrelid, true) as predicate
    from pg_catalog.pg_index x
    join pg_catalog.pg_class i on i.oid = x.indexrelid
    join pg_catalog.pg_class t on t.oid = x.indrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    join pg_catalog.pg_am am on am.oid = i.relam
    where x.indisvalid -- an invalid index (a failed concurrent build) serves no query
      and n.nspname || '.' || t.relname = any(${tables})`;
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    name: r.name,
    method: r.method,
    keys: r.keys,
    include: r.include,
    predicate: r.predicate,
  }));
}

/** Reads row counts, sizes and pg_stats of the tables; selectivities of the constant predicates. */
async function readTableStats(
  sql: Sql,
  tables: string[],
): Promise<{ stats: Record<string, TableStats>; sizeMb: Record<string, number> }> {
  const relations = await sql`
    select n.nspname || '.' || c.relname as table, greatest(c.reltuples, 0)::float8 as rows,
           pg_catalog.pg_total_relation_size(c.oid) / 1048576.0 as mb
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname || '.' || c.relname = any(${tables})`;
  const columns = await sql`
    select s.schemaname || '.' || s.tablename as table, s.attname as column, s.null_frac::float8 as null_frac,
           s.n_distinct::float8 as n_distinct,
           -- each most common value with its frequency, e.g. {"active": 0.03, "archived": 0.97}; the
           -- unnest of two arrays is FROM-clause syntax, which takes no schema
           (select pg_catalog.jsonb_object_agg(v.value, v.freq)
            from unnest(s.most_common_vals::text::text[], s.most_common_freqs) v(value, freq)) as mcv
    from pg_catalog.pg_stats s
    where s.schemaname || '.' || s.tablename = any(${tables}) and not s.inherited`;
  const stats: Record<string, TableStats> = {};
  const sizeMb: Record<string, number> = {};
  const rows: Record<string, number> = {};
  for (const r of relations) {
    stats[r.table] = { selectivity: {}, distinct: {} };
    sizeMb[r.table] = Number(r.mb);
    rows[r.table] = Number(r.rows);
  }
  for (const c of columns) {
    const table = stats[c.table];
    if (!table) continue;
    const col = readableIdent(c.column);
    // n_distinct < 0 is a share of the rows (pg_stats)
    table.distinct[c.column] = c.n_distinct < 0 ? -c.n_distinct * rows[c.table] : c.n_distinct;
    table.selectivity[`${col} is null`] = c.null_frac;
    table.selectivity[`${col} is not null`] = 1 - c.null_frac;
    const common: Record<string, number> = c.mcv ?? {};
    for (const [value, share] of Object.entries(common)) table.selectivity[`${col} = ${value}`] = share;
    const values = Object.keys(common);
    if (values.length > 0 && values.every((v) => v === "t" || v === "f")) {
      table.selectivity[col] = table.selectivity[`${col} = true`] = common.t ?? 0;
      table.selectivity[`not ${col}`] = table.selectivity[`${col} = false`] = common.f ?? 0;
    }
  }
  return { stats, sizeMb };
}

/**
 * Reads each table's writes and its index count: over the window (optimizer.table_deltas) when the workload
 * came from the suite's snapshots, else pg_stat_user_tables' cumulative counts, as the workload's are.
 */
async function readTableWrites(
  sql: Sql,
  window: { from: Date; to: Date },
  source: WorkloadSource,
  tables: string[],
  updated: Record<string, string[]>,
): Promise<Record<string, TableWrites>> {
  const rows = source.kind === "statement_deltas"
    ? await sql`
    select t.schemaname || '.' || t.relname as table, coalesce(d.n_tup_ins, 0)::float8 as inserts,
           coalesce(d.n_tup_upd, 0)::float8 as updates, coalesce(d.n_tup_hot_upd, 0)::float8 as hot_updates,
           (select count(*) from pg_catalog.pg_index x where x.indrelid = t.relid)::int as indexes
    from pg_catalog.pg_stat_user_tables t
    left join optimizer.table_deltas(${window.from}, ${window.to}) d on d.relid = t.relid
    where t.schemaname || '.' || t.relname = any(${tables})`
    : await sql`
    select t.schemaname || '.' || t.relname as table, t.n_tup_ins::float8 as inserts,
           t.n_tup_upd::float8 as updates, t.n_tup_hot_upd::float8 as hot_updates,
           (select count(*) from pg_catalog.pg_index x where x.indrelid = t.relid)::int as indexes
    from pg_catalog.pg_stat_user_tables t
    where t.schemaname || '.' || t.relname = any(${tables})`;
  const writes: Record<string, TableWrites> = {};
  for (const r of rows) {
    writes[r.table] = {
      inserts: Number(r.inserts),
      updates: Number(r.updates),
      hotUpdates: Number(r.hot_updates),
      updatedColumns: updated[r.table] ?? [],
      indexes: r.indexes,
    };
  }
  return writes;
}

/** The columns a plan's predicates and sort keys reference, as `schema.table.column`. */
function referencedColumns(plan: PlanSummary): string[] {
  const columns = new Set<string>();
  for (const a of plan.accesses) {
    const keys = [...a.groups.flat().map((p) => p.key), ...a.sort.map((s) => s.key)];
    for (const key of keys) {
      for (const c of key.kind === "column" ? [key.column] : key.columns) {
        columns.add(`${a.schema}.${a.table}.${c}`);
      }
    }
  }
  return [...columns];
}

function isoWindow(window: { from: Date; to: Date }): Window {
  return { from: window.from.toISOString(), to: window.to.toISOString() };
}

/** The index advisor with these options (defaults in options.ts); throws RangeError on a bad option. */
export function createIndexAdvisor(options: Partial<AdvisorOptions> = {}): Analyzer {
  const o = resolveAdvisorOptions(options);
  return {
    name: "index-advisor",
    analyze: (context) => adviseIndexes(context, o),
  };
}

async function adviseIndexes(context: AnalysisContext, options: AdvisorOptions): Promise<AnalysisResult> {
  const { sql, window } = context;
  const notes: string[] = [];
  const rejected: Rejection[] = [];

  // 1. workload
  const reading = await readStatements(sql, window);
  const workload = selectWorkload(reading.deltas, options);
  rejected.push(...workload.rejected);
  notes.push(
    reading.source.note,
    `${workload.statements.length} statement(s) analyzed; ${workload.excludedOwn} statement(s) of the ` +
      "optimizer itself (by role or by text) left out of the workload",
  );
  if (workload.statements.length === 0) {
    notes.push(
      reading.source.kind === "statement_deltas"
        ? "no statement ran over the window (statement deltas need two snapshots in it)"
        : "no statement of the project has been counted since pg_stat_statements' last reset",
    );
    return { findings: [], rejected, notes };
  }
  const extensions = await readExtensions(sql);
  if (extensions.hypopg === null) {
    notes.push("hypopg is not installed: indexes cannot be evaluated (create extension hypopg)");
    return { findings: [], rejected, notes };
  }
  // 2c. constants pg_stat_statements hid, from pg_qualstats (constants.ts)
  let planned = workload.statements;
  if (extensions.pg_qualstats === null) {
    notes.push(
      "pg_qualstats is not installed: constants pg_stat_statements replaced with $n (status = $1) cannot be " +
        "learned, so partial indexes are proposed only for the constant predicates it keeps (is null, " +
        "is not null, boolean columns), with their selectivity from pg_stats",
    );
  } else {
    const learned = learnConstants(
      await readQualConstants(sql, extensions.pg_qualstats, planned.map((s) => s.queryid)),
      options.minConstantSamples,
    );
    const applied: string[] = [];
    planned = planned.map((s) => {
      const specialized = specializeStatement(s.query, learned.get(s.queryid) ?? []);
      for (const c of specialized.applied) {
        applied.push(`${c.table}.${c.column} = ${c.value} (statement ${s.queryid})`);
      }
      return { ...s, query: specialized.query };
    });
    notes.push(
      `pg_qualstats: ${applied.length} predicate(s) seen with one value only, planned with it: ` +
        `${applied.join("; ") || "none"}; it does not see boolean columns compared with true or false, ` +
        "and it samples statements (pg_qualstats.sample_rate)",
    );
  }
  const texts = new Map(workload.statements.map((s) => [s.queryid, s.query]));

  const findings = await withPlanner(
    sql,
    planned,
    // each planning statement may take at most what is left of the run, and 10 s
    {
      hypopgSchema: extensions.hypopg,
      statementTimeoutMs: Math.max(1000, Math.min(10_000, context.deadline - Date.now())),
    },
    async ({ plans, evaluate, tx }) => {
      // 2. explain
      const explained: { statement: WorkloadStatement; plan: PlanSummary }[] = [];
      for (const s of planned) {
        const result = plans.get(s.queryid)!;
        if ("error" in result) {
          rejected.push({
            rule: "index.explain",
            subject: `statement:${s.queryid}`,
            reason: `cannot be explained as a generic plan: ${result.error}`,
          });
        } else explained.push({ statement: s, plan: result.plan });
      }
      const tables = [
        ...new Set(explained.flatMap((e) => e.plan.accesses.map((a) => `${a.schema}.${a.table}`))),
      ];
      const existing = await readExistingIndexes(tx, tables);
      const { stats, sizeMb } = await readTableStats(tx, tables);

      // 3. candidates
      const generated = generateCandidates({
        statements: explained.map((e) => ({ queryid: e.statement.queryid, accesses: e.plan.accesses })),
        existing,
        stats,
        trigramSchema: extensions.pg_trgm,
      }, options);
      rejected.push(...generated.rejected);
      const candidates = generated.candidates.filter((c) => {
        const mb = sizeMb[`${c.schema}.${c.table}`] ?? 0;
        if (c.method === "btree" || mb <= options.maxTrialBuildTableMb) return true;
        rejected.push({
          rule: "index.candidate",
          subject: c.subject,
          reason:
            `hypopg cannot make ${c.method} indexes and ${c.schema}.${c.table} (${mb.toFixed(0)} MB) is ` +
            `larger than maxTrialBuildTableMb ${options.maxTrialBuildTableMb} for a trial build`,
        });
        return false;
      });

      // 4 and 5. evaluate and select
      const statements: CostedStatement[] = explained.map((e) => ({
        queryid: e.statement.queryid,
        calls: e.statement.calls,
        totalMs: e.statement.totalMs,
        before: e.plan.totalCost,
        tables: [...new Set(e.plan.accesses.map((a) => `${a.schema}.${a.table}`))],
        references: referencedColumns(e.plan),
      }));
      const writes = await readTableWrites(tx, window, reading.source, tables, updatedColumns(planned));
      const selection = await selectIndexes({
        statements,
        candidates,
        bundles: generated.bundles,
        writes,
        limits: context.config.limits,
        evaluate,
        deadline: context.deadline,
      }, options);
      rejected.push(...selection.rejected);
      if (selection.stoppedEarly) {
        notes.push("the deadline cut the selection short: some candidates were not evaluated");
      }

      // 6. findings
      const { source } = reading;
      const iso = isoWindow(source.covers);
      const series = source.kind === "statement_deltas"
        ? snapshotSeries
        : [source.series, "pg_catalog.pg_stat_user_tables (cumulative since the statistics' last reset)"];
      const found = selection.chosen.map((chosen) => indexFinding(chosen, iso, texts, series));
      if (generated.needTrigram.length > 0) {
        found.push(trigramFinding(generated.needTrigram, iso, series.slice(0, 1)));
      }
      return found;
    },
  );
  return { findings, rejected, notes };
}
