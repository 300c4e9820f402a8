import type { Sql } from "../db/client.ts";
import { inRolledBackSavepoint, inRolledBackTransaction, type Tx } from "../db/rolled_back.ts";
import { type Candidate, indexDdl } from "./candidates.ts";
import { type PlanSummary, summarizePlan } from "./plan.ts";
import { rewriteForPrepare } from "./rewrite.ts";
import type { Evaluation } from "./select.ts";
import { readableIdent } from "../sql/identifiers.ts";
import { ownStatement } from "../sql/own_statement.ts";

/**
 * Steps 2 and 4 against the database: generic plans of the workload's statements, and their costs with
 * hypothetical indexes. Facts this relies on:
 * - hypopg's hypothetical indexes exist only in the backend (session) that created them, so through a
 *   transaction pooler every hypopg call must run in ONE transaction: all of it happens inside
 *   one transaction that is rolled back (inRolledBackTransaction), so nothing is left behind either way;
 * - with `plan_cache_mode = force_generic_plan`, `prepare q as <normalized statement>` and
 *   `explain execute q(null, …)` plan the `$n` parameters without values, as a generic plan does;
 * - a prepared statement keeps its cached generic plan: after creating or resetting hypothetical indexes it
 *   must be DEALLOCATEd and PREPAREd again, so every explain here prepares afresh and deallocates after;
 * - hypopg 1.3 makes btree (and brin, hash, bloom) indexes, not GIN: a trigram GIN candidate is built for
 *   real inside a savepoint that is rolled back; the caller passes only tables no larger than
 *   maxTrialBuildTableMb, because the build blocks the table's writes while it runs (lock_timeout bounds
 *   the wait for that lock);
 * - the project's client is created with `prepare: false`; the prepared texts go through `sql.unsafe()`.
 */

/** A statement of the workload ready to explain. */
export interface PlannableStatement {
  queryid: string;
  query: string;
}

/** The planner session handed to the body of withPlanner(). */
export interface PlannerSession {
  /** The generic plan of each statement, or why it could not be explained, by queryid. */
  plans: Map<string, { plan: PlanSummary; rewrites: string[] } | { error: string }>;
  /** Costs of statements with exactly `indexes` added (see select.ts). */
  evaluate(indexes: Candidate[], statements: string[]): Promise<Evaluation>;
  /** The transaction, for reading catalogs within it. */
  tx: Sql;
}

/** Settings of the planner session. */
export interface PlannerOptions {
  /** Schema hypopg is installed in. */
  hypopgSchema: string;
  /** statement_timeout of each statement of the session, in ms. */
  statementTimeoutMs: number;
}

// Prepare, explain, deallocate: one statement of pg_stat_statements (which records statements one by one)
// as three, sent with others in one round trip by the simple query protocol, which takes several at once.
function explainSql(text: string, parameters: number): string {
  const args = parameters > 0 ? `(${Array(parameters).fill("null").join(", ")})` : "";
  return [
    `prepare advisor_q as ${text}`,
    `explain (format json, verbose) execute advisor_q${args}`,
    "deallocate advisor_q",
  ].map(ownStatement).join(";\n");
}

/**
 * The plans of the statements, in order. postgres.js (3.4.9) starts a result list of a multi-statement query
 * at each statement that returns rows, and files the others' (prepare, deallocate) unevenly: the plans are
 * taken as the results that hold a plan, in order, and their count checked.
 */
async function explainAll(tx: Sql, statements: { text: string; parameters: number }[]): Promise<unknown[]> {
  if (statements.length === 0) return [];
  const results = await tx.unsafe(statements.map((s) => explainSql(s.text, s.parameters)).join(";\n"))
    .simple() as unknown as Record<string, unknown>[][];
  const plans = results.filter((r) => r.length > 0 && "QUERY PLAN" in r[0]).map((r) => r[0]["QUERY PLAN"]);
  if (plans.length !== statements.length) {
    throw new Error(`expected ${statements.length} plans from one round trip, got ${plans.length}`);
  }
  return plans;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Prepared statements belong to the session and outlive a rollback: one left by a failed explain (or an
 * earlier run on the same pooled connection) is removed here, in a healthy transaction.
 */
async function clearPrepared(tx: Sql): Promise<void> {
  const [{ left }] = await tx.unsafe(
    "select count(*)::int as left from pg_catalog.pg_prepared_statements where name = 'advisor_q'",
  );
  if (left > 0) await tx.unsafe("deallocate advisor_q");
}

const planningLimits = (options: Pick<PlannerOptions, "statementTimeoutMs">) => ({
  lockTimeoutMs: 1000,
  statementTimeoutMs: Math.round(options.statementTimeoutMs),
});

/** The generic plan of each statement, or why it could not be explained, and the texts that were prepared. */
async function explainEach(tx: Tx, statements: PlannableStatement[]) {
  const t = tx as unknown as Sql;
  await t.unsafe("set local plan_cache_mode = force_generic_plan");
  await clearPrepared(t);
  const texts = new Map<string, { text: string; parameters: number }>();
  const plans: PlannerSession["plans"] = new Map();
  for (const s of statements) {
    const prepared = rewriteForPrepare(s.query);
    try {
      // a savepoint each: a text that cannot be prepared must not end the transaction
      const [plan] = await tx.savepoint((sp) => explainAll(sp as unknown as Sql, [prepared]));
      plans.set(s.queryid, { plan: summarizePlan(plan), rewrites: prepared.rewrites });
      texts.set(s.queryid, prepared);
    } catch (error) {
      plans.set(s.queryid, { error: (error as Error).message });
      await clearPrepared(t);
    }
  }
  return { plans, texts };
}

/**
 * The generic plan of each statement, or why it could not be explained, by queryid: step 2 alone, in a
 * transaction that is rolled back, for callers that make no hypothetical index.
 */
export async function explainGenericPlans(
  sql: Sql,
  statements: PlannableStatement[],
  options: Pick<PlannerOptions, "statementTimeoutMs">,
): Promise<PlannerSession["plans"]> {
  return await inRolledBackTransaction(sql, planningLimits(options), async (tx) => {
    return (await explainEach(tx, statements)).plans;
  });
}

/**
 * Runs `body` in one transaction that is rolled back at the end, after explaining every statement; returns
 * what `body` returns.
 */
export async function withPlanner<T>(
  sql: Sql,
  statements: PlannableStatement[],
  options: PlannerOptions,
  body: (session: PlannerSession) => Promise<T>,
): Promise<T> {
  const hypopg = readableIdent(options.hypopgSchema);
  return await inRolledBackTransaction(sql, planningLimits(options), async (tx) => {
    const t = tx as unknown as Sql;
    const { plans, texts } = await explainEach(tx, statements);

    async function costsOf(on: Sql, queryids: string[]): Promise<Map<string, number>> {
      const ids = queryids.filter((id) => texts.has(id));
      const plans = await explainAll(on, ids.map((id) => texts.get(id)!));
      return new Map(ids.map((id, i) => [id, summarizePlan(plans[i]).totalCost]));
    }

    async function evaluate(indexes: Candidate[], queryids: string[]): Promise<Evaluation> {
      const sizes = new Map<string, number>();
      const hypothetical = indexes.filter((c) => c.method === "btree");
      // the reset and every creation in one round trip (see explain())
      const created = await t.unsafe(
        [
          `select ${hypopg}.hypopg_reset()`,
          ...hypothetical.map((c) =>
            `select ${hypopg}.hypopg_relation_size(h.indexrelid) as bytes
               from ${hypopg}.hypopg_create_index(${literal(indexDdl(c, null))}) h`
          ),
        ].join(";\n"),
      ).simple() as unknown as { bytes: string }[][];
      // one statement gives one result, not a list of them
      const rows = hypothetical.length === 0 ? [] : created.slice(1);
      hypothetical.forEach((c, i) => sizes.set(c.subject, Number(rows[i][0].bytes)));
      const built = indexes.filter((c) => c.method !== "btree");
      if (built.length === 0) return { costs: await costsOf(t, queryids), sizes };
      let costs = new Map<string, number>();
      const failures = new Map<string, string>();
      try {
        costs = await inRolledBackSavepoint(tx, async (sp) => {
          const s = sp as unknown as Sql;
          for (const c of built) {
            const name = `advisor_trial_${sizes.size}`;
            await s.unsafe(indexDdl(c, name));
            const [{ bytes }] = await s.unsafe(
              `select pg_catalog.pg_relation_size(($1 || '.' || $2)::regclass) as bytes`,
              [readableIdent(c.schema), readableIdent(name)],
            );
            sizes.set(c.subject, Number(bytes));
          }
          return await costsOf(s, queryids);
        });
      } catch (error) {
        // a trial build that fails (its lock not granted within lock_timeout, say) fails its candidates only
        for (const c of built) {
          failures.set(c.subject, `its trial build failed: ${(error as Error).message}`);
        }
        await clearPrepared(t);
      }
      return { costs, sizes, failures };
    }

    return await body({ plans, evaluate, tx: t });
  });
}
