import type { Rejection } from "../recommendations/analyzer.ts";
import type { AdvisorOptions } from "./options.ts";

/**
 * Step 1, the workload: the statements worth indexing for, from optimizer.statement_deltas over the window,
 * heaviest first by total execution time. The optimizer's own statements are left out and counted: its
 * connections use application_name `optimizer-*`, which pg_stat_statements does not record, so they are told
 * apart by role (excludedRoles) and by text (a statement that reads or writes schema optimizer, or calls
 * hypopg, is the suite's own).
 */

/** One row of optimizer.statement_deltas, with the role name of its userid. */
export interface StatementDelta {
  queryid: string;
  role: string;
  query: string | null;
  calls: number;
  totalExecTime: number;
}

/** A statement of the workload: its text as pg_stat_statements normalized it, and its weight. */
export interface WorkloadStatement {
  queryid: string;
  query: string;
  calls: number;
  /** Execution time over the window, in ms. */
  totalExecTime: number;
}

/** The workload and what was left out of it. */
export interface Workload {
  statements: WorkloadStatement[];
  /** Statements of the optimizer itself (by role or text). */
  excludedOwn: number;
  rejected: Rejection[];
}

const ownText = /\boptimizer\s*\.|\bhypopg_|\bpg_stat_statements\b|\bpg_qualstats\b/i;
// Only these can use an index; utility statements (set, begin, create …) and calls cannot.
const indexable = /^\s*(?:with\b|select\b|update\b|delete\b|insert\b[\s\S]*\bselect\b)/i;

/** Pure: the workload from statement deltas (any order), keeping `maxStatements` by total time. */
export function selectWorkload(rows: StatementDelta[], options: AdvisorOptions): Workload {
  const rejected: Rejection[] = [];
  let excludedOwn = 0;
  const byId = new Map<string, WorkloadStatement>();
  for (const row of rows) {
    const subject = `statement:${row.queryid}`;
    if (options.excludedRoles.includes(row.role) || (row.query !== null && ownText.test(row.query))) {
      excludedOwn++;
      continue;
    }
    if (row.query === null) {
      rejected.push({
        rule: "index.workload",
        subject,
        reason: "its text is not in optimizer.db_statement_texts",
      });
      continue;
    }
    if (!indexable.test(row.query)) continue;
    // one statement run by several roles is one statement to plan: add up its weight
    const seen = byId.get(row.queryid);
    if (seen) {
      seen.calls += row.calls;
      seen.totalExecTime += row.totalExecTime;
    } else {
      byId.set(row.queryid, {
        queryid: row.queryid,
        query: row.query,
        calls: row.calls,
        totalExecTime: row.totalExecTime,
      });
    }
  }
  const statements: WorkloadStatement[] = [];
  const ranked = [...byId.values()].sort((a, b) => b.totalExecTime - a.totalExecTime);
  for (const s of ranked) {
    const subject = `statement:${s.queryid}`;
    if (s.calls < options.minCalls) {
      rejected.push({
        rule: "index.workload",
        subject,
        reason: `${s.calls} calls over the window is below minCalls ${options.minCalls}`,
      });
    } else if (statements.length >= options.maxStatements) {
      rejected.push({
        rule: "index.workload",
        subject,
        reason: `outside the top maxStatements ${options.maxStatements} by total time`,
      });
    } else statements.push(s);
  }
  return { statements, excludedOwn, rejected };
}

/**
 * Pure: the columns each table's UPDATE statements set, by `schema.table` (an unqualified table is taken to
 * be in schema public, the search_path of the app's connections).
 */
export function updatedColumns(statements: { query: string }[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const update =
    /^\s*update\s+(?:only\s+)?((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)[\s\S]*?\bset\s+([\s\S]*?)(?:\s+(?:where|from|returning)\b|$)/i;
  for (const { query } of statements) {
    const m = update.exec(query);
    if (!m) continue;
    const parts = m[1].split(".").map((p) => p.replace(/^"|"$/g, ""));
    const table = parts.length === 2 ? `${parts[0]}.${parts[1]}` : `public.${parts[0]}`;
    const columns = (result[table] ??= []);
    let depth = 0;
    let start = 0;
    const assignments: string[] = [];
    for (let i = 0; i < m[2].length; i++) {
      const c = m[2][i];
      if (c === "(") depth++;
      else if (c === ")") depth--;
      else if (c === "," && depth === 0) {
        assignments.push(m[2].slice(start, i));
        start = i + 1;
      }
    }
    assignments.push(m[2].slice(start));
    for (const assignment of assignments) {
      // `col = …`, or `(a, b) = (…)`
      const target = assignment.split("=")[0].trim().replace(/^\(|\)$/g, "");
      for (const name of target.split(",")) {
        const column = name.trim().replace(/^"|"$/g, "");
        if (column && !columns.includes(column)) columns.push(column);
      }
    }
  }
  return result;
}
