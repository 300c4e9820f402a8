/**
 * Per-query, single-column index advice in the manner of Supabase's index_advisor, for the `peers-per-query`
 * scenario. index_advisor takes one statement at a time: it prepares it, EXPLAINs its generic plan
 * (`plan_cache_mode = force_generic_plan`, NULL for every `$n`), then adds a hypothetical single-column btree
 * index (hypopg) on every column of the tables the statement reads, EXPLAINs again, and returns the indexes the
 * new plan uses with the costs before and after. It has no threshold, no multicolumn, partial or expression
 * indexes, no write cost, and it does not rewrite what pg_stat_statements normalized (`interval $1`).
 *
 * Here that method runs over the statements of the discovery window (pg_stat_statements, the app's tables,
 * the same limits as the suite's advisor: the 100 heaviest statements called at least twice), and the union
 * of its advice is what the scenario creates. Every statement not turned into an index says why.
 */
import type postgres from "postgres";
import { advisorDefaults } from "../../shared/advisor/options.ts";
import { developerDefaults, type PeerIndex } from "./peer_indexes.ts";

/** What the per-query advice came to. */
export interface PerQueryAdvice {
  indexes: PeerIndex[];
  /** Statements that gave no index, with the reason. */
  rejected: { subject: string; reason: string }[];
  /** Statements read from the discovery window. */
  statements: number;
}

export interface PerQueryOptions {
  /** The app's tables (schema public), as for the developer heuristic. */
  appTables: string[];
  /** The heaviest statements read. */
  maxStatements: number;
  /** Statements called fewer times are left out. */
  minCalls: number;
}

/** The same statements as the suite's advisor reads, so that both advise on one workload. */
export const perQueryDefaults: PerQueryOptions = {
  appTables: developerDefaults.appTables,
  maxStatements: advisorDefaults.maxStatements,
  minCalls: advisorDefaults.minCalls,
};

interface PlanNode {
  "Node Type"?: string;
  "Relation Name"?: string;
  "Schema"?: string;
  "Index Name"?: string;
  "Total Cost"?: number;
  Plans?: PlanNode[];
}

const maxIdentifier = 63;

function walk(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** The highest `$n` of a normalized statement: how many NULLs EXECUTE needs. */
function parameterCount(query: string): number {
  return Math.max(0, ...[...query.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

/**
 * Runs index_advisor's method on one statement inside `tx`. Prepared statements and hypothetical indexes
 * belong to the session, not to the transaction, so both are cleared first: a statement that failed before
 * leaves them behind.
 */
async function adviseOne(
  tx: postgres.TransactionSql,
  hypopg: string,
  query: string,
): Promise<{ used: { table: string; column: string }[]; before: number; after: number }> {
  await tx.unsafe("deallocate all");
  await tx.unsafe(`select ${hypopg}.hypopg_reset()`);
  await tx.unsafe(`prepare per_query_statement as ${query}`);
  const nulls = Array.from({ length: parameterCount(query) }, () => "null").join(", ");
  const execute = nulls ? `execute per_query_statement(${nulls})` : "execute per_query_statement";
  const explain = async (): Promise<PlanNode> => {
    const [row] = await tx.unsafe(`explain (format json, verbose) ${execute}`);
    return (row["QUERY PLAN"] as { Plan: PlanNode }[])[0].Plan;
  };
  const plan = await explain();
  const relations = new Set<string>();
  walk(plan, (node) => {
    if (node["Relation Name"] && node.Schema === "public") relations.add(node["Relation Name"]);
  });
  // every column of those tables that btree can index and that no single-column index has already
  const columns = await tx<{ table: string; column: string }[]>`
    select c.relname as table, a.attname as column
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'public'::regnamespace and c.relname = any(${[...relations]})
      and a.attnum > 0 and not a.attisdropped
      and exists (select 1 from pg_catalog.pg_opclass o join pg_catalog.pg_am m on m.oid = o.opcmethod
                  where m.amname = 'btree' and o.opcdefault
                    and (o.opcintype = a.atttypid
                         -- varchar is indexed with text's operator class: a binary-coercible cast
                         or exists (select 1 from pg_catalog.pg_cast k where k.castsource = a.atttypid
                                      and k.casttarget = o.opcintype and k.castmethod = 'b')))
      and not exists (select 1 from pg_catalog.pg_index i
                      where i.indrelid = c.oid and i.indnatts = 1 and i.indkey[0] = a.attnum)`;
  const byName = new Map<string, { table: string; column: string }>();
  for (const { table, column } of columns) {
    const [created] = await tx.unsafe(
      `select indexname from ${hypopg}.hypopg_create_index($1)`,
      [`create index on public.${table} (${column})`],
    );
    byName.set(created.indexname as string, { table, column });
  }
  // a prepared statement keeps its generic plan: prepare it again to see the hypothetical indexes
  await tx.unsafe("deallocate per_query_statement");
  await tx.unsafe(`prepare per_query_statement as ${query}`);
  const withIndexes = await explain();
  const used = new Map<string, { table: string; column: string }>();
  walk(withIndexes, (node) => {
    const index = node["Index Name"] && byName.get(node["Index Name"]);
    if (index) used.set(`${index.table}.${index.column}`, index);
  });
  await tx.unsafe("deallocate all");
  await tx.unsafe(`select ${hypopg}.hypopg_reset()`);
  return { used: [...used.values()], before: plan["Total Cost"] ?? 0, after: withIndexes["Total Cost"] ?? 0 };
}

/** Per-query advice over the statements pg_stat_statements holds now (the discovery window). */
export async function advisePerQuery(
  sql: postgres.Sql,
  options: PerQueryOptions = perQueryDefaults,
): Promise<PerQueryAdvice> {
  const [{ hypopg, statements_schema }] = await sql<{ hypopg: string; statements_schema: string }[]>`
    select (select n.nspname from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
            where e.extname = 'hypopg') as hypopg,
           (select n.nspname from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
            where e.extname = 'pg_stat_statements') as statements_schema`;
  const tables = options.appTables.join("|");
  const statements = await sql.unsafe<{ query: string }[]>(
    `select s.query
     from ${statements_schema}.pg_stat_statements s
     where s.dbid = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
       and s.toplevel and s.calls >= $1
       and s.query ~* $2 -- reads or writes one of the app's tables
       and s.query !~* '\\moptimizer\\.|hypopg|pg_stat_statements|pg_prewarm|pg_catalog\\.' -- not the harness's own
       and s.query ~* '^\\s*(select|with|update|delete)\\M' -- what index_advisor can explain
     order by s.total_exec_time desc
     limit $3`,
    [options.minCalls, `\\m(${tables})\\M`, options.maxStatements],
  );

  const indexes = new Map<string, PeerIndex>();
  const rejected: PerQueryAdvice["rejected"] = [];
  for (const { query } of statements) {
    const subject = query.replace(/\s+/g, " ").slice(0, 160);
    try {
      const advice = await sql.begin(async (tx) => {
        await tx`set local plan_cache_mode = force_generic_plan`;
        return await adviseOne(tx, hypopg, query);
      });
      if (advice.used.length === 0) {
        rejected.push({ subject, reason: "no hypothetical single-column index in the new plan" });
        continue;
      }
      for (const { table, column } of advice.used) {
        const name = `perquery_${table}_${column}`.slice(0, maxIdentifier);
        if (indexes.has(name)) continue;
        indexes.set(name, {
          name,
          table,
          columns: [column],
          statement: `create index if not exists ${name} on public.${table} (${column})`,
          reason: `index_advisor-style: generic-plan cost ${advice.before.toFixed(0)} → ${
            advice.after.toFixed(0)
          } for ${subject}`,
        });
      }
    } catch (error) {
      rejected.push({ subject, reason: `cannot be explained: ${(error as Error).message}` });
    }
  }
  return { indexes: [...indexes.values()], rejected, statements: statements.length };
}
