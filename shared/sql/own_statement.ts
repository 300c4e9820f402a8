/**
 * The comment that leads every statement the suite runs on a project's tables, or as its roles, to measure or
 * plan them (EXPLAIN runs, rows sampled for widths and parameters, prepared texts, the role and JWT claims
 * the RLS measurements take on), so that the workload it reads back from pg_stat_statements leaves them out
 * (shared/workload/workload.ts). pg_stat_statements keeps a statement's text as sent, comments included, with
 * only its constants replaced; and the suite's connections cannot be told apart by role where it runs as the
 * project's `postgres` role, as on the local stack. A statement of the same shape as one the project sends
 * would share that statement's entry, whose text is the first seen; the statements tagged here have shapes of
 * their own (wrappers, samples, EXPLAIN, PREPARE). An entry made before a statement was tagged keeps its
 * untagged text until pg_stat_statements_reset().
 */
export const ownStatementTag = "/* optimizer */";

/** `statement` led by ownStatementTag. */
export function ownStatement(statement: string): string {
  return `${ownStatementTag} ${statement}`;
}
