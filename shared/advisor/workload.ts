import type { Rejection } from "../recommendations/analyzer.ts";
import { projectWorkload, type StatementDelta, type WorkloadStatement } from "../workload/workload.ts";
import type { AdvisorOptions } from "./options.ts";

/**
 * Step 1, the workload: the statements worth indexing for, from the window's workload (shared/workload/,
 * which leaves out and counts the suite's own statements), heaviest first by total execution time.
 */

/** The statements to index for and what was left out. */
export interface AdvisorWorkload {
  statements: WorkloadStatement[];
  /** Statements of the optimizer itself (by role or text). */
  excludedOwn: number;
  rejected: Rejection[];
}

// Only these can use an index; utility statements (set, begin, create …) and calls cannot.
const indexable = /^\s*(?:with\b|select\b|update\b|delete\b|insert\b[\s\S]*\bselect\b)/i;

/** Pure: the workload from statement deltas (any order), keeping `maxStatements` by total time. */
export function selectWorkload(rows: StatementDelta[], options: AdvisorOptions): AdvisorWorkload {
  const workload = projectWorkload(rows, options.excludedRoles);
  const rejected: Rejection[] = workload.withoutText.map((queryid) => ({
    rule: "index.workload",
    subject: `statement:${queryid}`,
    reason: "its text is not in optimizer.db_statement_texts",
  }));
  const statements: WorkloadStatement[] = [];
  for (const s of workload.statements.filter((s) => indexable.test(s.query))) {
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
  return { statements, excludedOwn: workload.excluded, rejected };
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
