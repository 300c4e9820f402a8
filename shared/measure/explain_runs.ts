import type { Tx } from "../db/rolled_back.ts";
import { median } from "../correlate/statistics.ts";
import { ownStatement } from "../sql/own_statement.ts";

/**
 * Timing statements with EXPLAIN (ANALYZE, FORMAT JSON) inside a transaction that is always rolled back
 * (inRolledBackTransaction), so that an analyzer can change a policy or add an index, time the statements
 * the change is for, and leave the database as it found it. Postgres runs the statement but sends no rows back: the figure is the server's
 * execution time, without the network or the client.
 */

/** A statement and the text values of its `$n` parameters (Postgres infers their types from the text). */
export interface BoundStatement {
  /** The statement, `$n` placeholders included. */
  text: string;
  /** The value of `$1`, `$2`, … as text; null for SQL NULL. */
  params: (string | null)[];
}

/** The execution times of repeated runs, in milliseconds, and their median. */
export interface Timing {
  /** The median of runsMs. */
  medianMs: number;
  /** Each timed run's execution time, in run order. */
  runsMs: number[];
}

/** A measured time as findings state it: `12.35 ms`. */
export function formatMs(value: number): string {
  return `${value.toFixed(2)} ms`;
}

/** `Execution Time` of an EXPLAIN (ANALYZE, FORMAT JSON) result, in milliseconds. */
export function executionTimeMs(explain: unknown): number {
  const time = (explain as [{ "Execution Time"?: unknown }] | undefined)?.[0]?.["Execution Time"];
  if (typeof time !== "number") throw new TypeError("not the output of EXPLAIN (ANALYZE, FORMAT JSON)");
  return time;
}

/** One EXPLAIN (ANALYZE, FORMAT JSON) of `statement` in `tx`: its execution time in milliseconds. */
export async function explainAnalyze(tx: Tx, statement: BoundStatement): Promise<number> {
  const [row] = await tx.unsafe(
    ownStatement(`explain (analyze, format json) ${statement.text}`),
    statement.params,
  );
  return executionTimeMs(row["QUERY PLAN"]);
}

/**
 * `runs` timed executions of `statement` after one untimed run, which loads the pages it reads into the
 * buffer cache so that the first timed run does not pay for the disk alone.
 */
export async function timeStatement(tx: Tx, statement: BoundStatement, runs: number): Promise<Timing> {
  await explainAnalyze(tx, statement);
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(await explainAnalyze(tx, statement));
  return { medianMs: median(runsMs), runsMs };
}
