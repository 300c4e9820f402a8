import { readableIdent } from "../sql/identifiers.ts";

/**
 * Step 2b, reading a plan: from `explain (format json, verbose)` of a generic plan, what each table is
 * asked for (the predicates of its scans and joins, the sort keys above it, whether a LIMIT follows, the
 * columns read) and what the statement costs. VERBOSE qualifies every column with its table's alias, which
 * is how a predicate is attributed to its table in a join.
 */

/** What an index key is: a column, or an expression over columns (`lower(email)`, `(data ->> 'k'::text)`). */
export type Key =
  | { kind: "column"; column: string }
  | { kind: "expression"; sql: string; columns: string[] };

/** One conjunct a table's rows are filtered by. */
export interface Predicate {
  /**
   * eq: `= $n`, `= any($n)` or a join's `=`; range: `<`, `<=`, `>`, `>=`; like: `like`/`ilike` (`~~`,
   * `~~*`); null/notnull: `is [not] null`; true/false: a boolean column or its negation; const: `= <a
   * literal>`. The last five are constants of the text: pg_stat_statements keeps the first four, and puts
   * `$n` for a literal, which constants.ts may put back.
   */
  op: "eq" | "range" | "like" | "null" | "notnull" | "true" | "false" | "const";
  key: Key;
  /** The predicate as SQL on the bare column, for a partial index's `where`. */
  sql: string;
}

/** What one statement asks of one table. */
export interface TableAccess {
  schema: string;
  table: string;
  /**
   * The filter as alternatives (OR) of conjunctions (AND): one group for a plain `where a and b`, one per
   * branch of an OR at the top of the filter.
   */
  groups: Predicate[][];
  /** The sort keys on this table's columns, outermost sort first. */
  sort: { key: Key; desc: boolean }[];
  /** Whether a LIMIT is applied above the sort (an index in sort order can stop early). */
  limited: boolean;
  /** Columns of this table the plan reads (its scan's output). */
  output: string[];
}

/** A plan boiled down to what the advisor needs. */
export interface PlanSummary {
  totalCost: number;
  accesses: TableAccess[];
  /** Names of the indexes the plan uses (hypothetical ones as `<oid>btree_…`). */
  indexesUsed: string[];
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Schema?: string;
  Alias?: string;
  "Index Name"?: string;
  "Total Cost"?: number;
  "Sort Key"?: string[];
  Output?: string[];
  Plans?: PlanNode[];
  [condition: string]: unknown;
}

const conditionFields = ["Filter", "Index Cond", "Recheck Cond", "Join Filter", "Hash Cond", "Merge Cond"];
const identifier = String.raw`(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`;
const qualified = new RegExp(String.raw`^(${identifier})\.(${identifier})$`, "i");

// Removes one pair of parentheses around the whole text, as often as there is one.
function unwrap(text: string): string {
  let t = text.trim();
  while (t.startsWith("(") && t.endsWith(")") && closingOf(t, 0) === t.length - 1) t = t.slice(1, -1).trim();
  return t;
}

function closingOf(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

// Splits on a keyword (` AND `, ` OR `) outside parentheses and quotes.
function splitTopLevel(text: string, keyword: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && text.startsWith(keyword, i)) {
      parts.push(text.slice(start, i));
      start = i + keyword.length;
      i += keyword.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function bare(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}

/** A column or indexable expression of `alias`, or null. Casts like `(alias.col)::text` are seen through. */
function keyOf(text: string, alias: string): Key | null {
  const t = unwrap(text).replace(/^\((.*)\)::[a-z ]+(?:\[\])?$/i, "$1").replace(/::[a-z ]+(?:\[\])?$/i, "");
  const column = qualified.exec(unwrap(t));
  if (column) return bare(column[1]) === alias ? { kind: "column", column: bare(column[2]) } : null;
  const lower = new RegExp(String.raw`^lower\((${identifier})\.(${identifier})\)$`, "i").exec(t);
  if (lower && bare(lower[1]) === alias) {
    const c = bare(lower[2]);
    return { kind: "expression", sql: `lower(${readableIdent(c)})`, columns: [c] };
  }
  const json = new RegExp(
    String.raw`^(${identifier})\.(${identifier})\s*->>\s*('(?:[^']|'')*'(?:::text)?)$`,
    "i",
  )
    .exec(t);
  if (json && bare(json[1]) === alias) {
    const c = bare(json[2]);
    return { kind: "expression", sql: `(${readableIdent(c)} ->> ${json[3]})`, columns: [c] };
  }
  return null;
}

/** A key as SQL: a column by its readable name, an expression as written. */
export function keySql(key: Key): string {
  return key.kind === "column" ? readableIdent(key.column) : key.sql;
}

// A value a btree can look up: anything that does not read `alias`'s own row (parameters, constants,
// now(), a column of another table in a join).
function isValue(text: string, alias: string): boolean {
  const escaped = alias.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return !new RegExp(`(?:^|[^\\w."])"?${escaped}"?\\.`).test(text);
}

/** Pure: one conjunct as a predicate of `alias`'s table, or null when it is not one an index can serve. */
export function parsePredicate(conjunct: string, alias: string): Predicate | null {
  const t = unwrap(conjunct);
  const nullTest = /^(.*) IS (NOT )?NULL$/.exec(t);
  if (nullTest) {
    const key = keyOf(nullTest[1], alias);
    if (!key) return null;
    const op = nullTest[2] ? "notnull" : "null";
    return { op, key, sql: `${keySql(key)} is ${op === "null" ? "" : "not "}null` };
  }
  const negated = /^NOT (.*)$/.exec(t);
  if (negated) {
    const key = keyOf(negated[1], alias);
    return key ? { op: "false", key, sql: `not ${keySql(key)}` } : null;
  }
  const comparison = /^(.+?) (=|<>|<=|>=|<|>|~~\*|~~|!~~\*|!~~) (.+)$/.exec(t);
  if (comparison) {
    const [, left, operator, right] = comparison;
    const flipped = { "<": ">", ">": "<", "<=": ">=", ">=": "<=" } as Record<string, string>;
    let key = keyOf(left, alias);
    let value = right;
    let op = operator;
    if (!key || !isValue(right, alias)) {
      key = keyOf(right, alias);
      value = left;
      op = flipped[operator] ?? operator;
      if (!key || !isValue(left, alias)) return null;
    }
    const sql = `${keySql(key)} ${op} ${value}`;
    const literal = /^(?:'(?:[^']|'')*'|-?\d[\d.]*|true|false)(?:::[a-z ]+)?$/i.test(unwrap(value));
    if (op === "=") return { op: literal ? "const" : "eq", key, sql };
    if (["<", "<=", ">", ">="].includes(op)) return { op: "range", key, sql };
    if (op === "~~*" || op === "~~") return { op: "like", key, sql };
    return null;
  }
  const key = keyOf(t, alias);
  return key ? { op: "true", key, sql: keySql(key) } : null;
}

/** Pure: a condition as alternatives of conjunctions of `alias`'s predicates (see TableAccess.groups). */
export function parseCondition(condition: string, alias: string): Predicate[][] {
  const conjuncts = splitTopLevel(unwrap(condition), " AND ");
  let groups: Predicate[][] = [[]];
  for (const conjunct of conjuncts) {
    const branches = splitTopLevel(unwrap(conjunct), " OR ");
    if (branches.length > 1) {
      // every branch of an OR needs an index of its own for a BitmapOr
      const alternatives = branches.map((b) => parseCondition(b, alias).flat());
      groups = groups.flatMap((g) => alternatives.map((a) => [...g, ...a]));
      continue;
    }
    const predicate = parsePredicate(conjunct, alias);
    if (predicate) groups = groups.map((g) => [...g, predicate]);
  }
  // `(a or (b and c)) and c` repeats c in the second alternative
  return groups.map(dedupe).filter((g) => g.length > 0);
}

function sortKeyOf(item: string, alias: string): { key: Key; desc: boolean } | null {
  const m = /^(.*?)( DESC)?(?: NULLS (?:FIRST|LAST))?$/.exec(item.trim());
  const key = m ? keyOf(m[1], alias) : null;
  return key ? { key, desc: Boolean(m![2]) } : null;
}

/** Pure: the summary of one `explain (format json, verbose)` result (its first element). */
export function summarizePlan(explained: unknown): PlanSummary {
  const root = (Array.isArray(explained) ? explained[0] : explained) as { Plan: PlanNode };
  const accesses = new Map<string, TableAccess>();
  const conditions: { text: string }[] = [];
  const sorts: { keys: string[]; limited: boolean }[] = [];
  const indexesUsed: string[] = [];

  function walk(node: PlanNode, limited: boolean) {
    const belowLimit = limited || node["Node Type"] === "Limit";
    if (node["Relation Name"] && node.Alias) {
      const alias = node.Alias;
      if (!accesses.has(alias)) {
        accesses.set(alias, {
          schema: node.Schema ?? "public",
          table: node["Relation Name"],
          groups: [],
          sort: [],
          limited: false,
          output: [],
        });
      }
      const access = accesses.get(alias)!;
      for (const out of node.Output ?? []) {
        const key = keyOf(out, alias);
        if (key?.kind === "column" && !access.output.includes(key.column)) access.output.push(key.column);
      }
    }
    if (node["Index Name"]) indexesUsed.push(node["Index Name"]);
    for (const field of conditionFields) {
      if (typeof node[field] === "string") conditions.push({ text: node[field] as string });
    }
    if (node["Sort Key"]) sorts.push({ keys: node["Sort Key"], limited: belowLimit });
    for (const child of node.Plans ?? []) walk(child, belowLimit && node["Node Type"] !== "Aggregate");
  }
  walk(root.Plan, false);

  for (const [alias, access] of accesses) {
    const seen = new Set<string>();
    for (const { text } of conditions) {
      for (const group of parseCondition(text, alias)) {
        const id = group.map((p) => p.sql).join(" and ");
        if (!seen.has(id)) {
          seen.add(id);
          access.groups.push(group);
        }
      }
    }
    // conditions of several nodes (a Filter and a Join Filter) apply together: merge single groups
    if (access.groups.length > 1 && !conditions.some((c) => / OR /.test(c.text))) {
      access.groups = [dedupe(access.groups.flat())];
    }
    for (const sort of sorts) {
      const keys = sort.keys.map((k) => sortKeyOf(k, alias));
      // an index can give the order only when every sort key is this table's
      if (keys.length > 0 && keys.every((k) => k !== null)) {
        access.sort = keys as { key: Key; desc: boolean }[];
        access.limited = sort.limited;
        break;
      }
    }
  }
  return { totalCost: root.Plan["Total Cost"] ?? 0, accesses: [...accesses.values()], indexesUsed };
}

function dedupe(predicates: Predicate[]): Predicate[] {
  const seen = new Set<string>();
  return predicates.filter((p) => !seen.has(p.sql) && seen.add(p.sql));
}
