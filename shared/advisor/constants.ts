/**
 * Step 2c, constants pg_stat_statements hid: it replaces every constant with `$n`, so `status = 'active'`
 * arrives as `status = $1` and cannot be told apart from a lookup by any value. pg_qualstats, where it runs,
 * records the constants of `column operator constant` predicates per statement (queryid); a predicate seen
 * with one value only, often enough, is constant across the workload, so it is put back into the statement
 * text before planning. The plan then shows it as a constant, which makes partial indexes possible (and
 * plans the statement as the app's custom plans run it, with its value).
 * Facts: pg_qualstats samples statements (pg_qualstats.sample_rate, by default 1 / max_connections); its
 * constvalue is the constant as Postgres prints it, quoted and cast (`'active'::text`, `5::integer`); it does
 * not see `flag = true` on a boolean column, which the planner has already simplified to `flag`.
 */

/** One pg_qualstats() row: a predicate on a column of a statement, with one constant it was seen with. */
export interface QualRow {
  queryid: string;
  schema: string;
  table: string;
  column: string;
  /** The operator's name, e.g. `=`. */
  operator: string;
  constvalue: string;
  occurences: number;
}

/** A predicate constant across the workload: `column = value` in every sampled run of the statement. */
export interface LearnedConstant {
  schema: string;
  table: string;
  column: string;
  value: string;
  samples: number;
}

// Longer values are left alone: they are seldom a flag or a state, and make poor index predicates.
const maxValueLength = 100;

/** Pure: the constant equality predicates of each statement (by queryid), seen at least `minSamples` times. */
export function learnConstants(rows: QualRow[], minSamples: number): Map<string, LearnedConstant[]> {
  const seen = new Map<string, { row: QualRow; values: Set<string>; samples: number }>();
  for (const row of rows) {
    if (row.operator !== "=") continue;
    const key = JSON.stringify([row.queryid, row.schema, row.table, row.column]);
    const entry = seen.get(key) ?? { row, values: new Set(), samples: 0 };
    entry.values.add(row.constvalue);
    entry.samples += row.occurences;
    seen.set(key, entry);
  }
  const learned = new Map<string, LearnedConstant[]>();
  for (const { row, values, samples } of seen.values()) {
    const [value] = values;
    if (values.size !== 1 || samples < minSamples || value.length > maxValueLength) continue;
    const list = learned.get(row.queryid) ?? [];
    list.push({ schema: row.schema, table: row.table, column: row.column, value, samples });
    learned.set(row.queryid, list);
  }
  return learned;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Pure: the statement with each learned constant in place of its parameter, where the text names the column
 * in exactly one `column = $n` (a column named twice, as in a join of two tables that have it, is ambiguous
 * and left as it is).
 */
export function specializeStatement(
  query: string,
  constants: LearnedConstant[],
): { query: string; applied: LearnedConstant[] } {
  let text = query;
  const applied: LearnedConstant[] = [];
  for (const c of constants) {
    const column = `"?${escapeRegExp(c.column)}"?`;
    const pattern = new RegExp(`(?<![\\w$"])((?:"?\\w+"?\\.){0,2}${column}\\s*=\\s*)\\$(\\d+)\\b`, "g");
    const matches = [...text.matchAll(pattern)];
    if (matches.length !== 1) continue;
    text = text.replace(pattern, (_all, left: string) => `${left}${c.value}`);
    applied.push(c);
  }
  return { query: text, applied };
}

/** Pure: the comparable form of a constant predicate (`status = 'active'::text` → `status = active`). */
export function constantKey(sql: string): string {
  return sql.replace(/'((?:[^']|'')*)'/g, (_all, inner: string) => inner.replaceAll("''", "'"))
    .replace(/::[a-z ]+(?:\[\])?/gi, "");
}
