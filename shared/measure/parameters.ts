import { identifierName, isWord, type Token, tokenize } from "../sql/tokens.ts";

/**
 * Where the `$n` parameters of a normalized statement stand, so that representative values can be drawn
 * from the data: pg_stat_statements replaces every constant with `$n`, and a statement is measured on values
 * a real caller would send. A parameter compared with a column takes one of that column's values; LIMIT and
 * OFFSET take the caller's page size and the first page.
 */

/** What a parameter is compared with. */
export type ParameterSlot =
  | { index: number; kind: "column"; column: string; match: "equal" | "range" | "pattern" | "array" }
  | { index: number; kind: "limit" }
  | { index: number; kind: "offset" }
  | { index: number; kind: "unknown"; near: string };

const comparisons = new Set(["=", "<>", "!=", "<", ">", "<=", ">="]);

function isName(token: Token | undefined): boolean {
  return token?.kind === "word" || token?.kind === "quoted";
}

/** The column that ends at token `i` (`name` or `alias.name`), or null. */
function columnEndingAt(tokens: Token[], i: number): string | null {
  return isName(tokens[i]) ? identifierName(tokens[i]) : null;
}

/** The column that starts at token `i`, or null. */
function columnStartingAt(tokens: Token[], i: number): string | null {
  if (!isName(tokens[i]) || tokens[i + 1]?.kind === "open") return null;
  if (tokens[i + 1]?.kind === "dot") return isName(tokens[i + 2]) ? identifierName(tokens[i + 2]) : null;
  return identifierName(tokens[i]);
}

/** One slot per distinct `$n` of `statement`, in order of n; the first context found for each decides. */
export function parameterSlots(statement: string): ParameterSlot[] {
  const tokens = tokenize(statement);
  const slots = new Map<number, ParameterSlot>();
  tokens.forEach((token, i) => {
    if (token.kind !== "param") return;
    const index = Number(token.text.slice(1));
    if (slots.has(index) && slots.get(index)!.kind !== "unknown") return;
    slots.set(index, slotAt(tokens, i, index));
  });
  return [...slots.values()].sort((a, b) => a.index - b.index);
}

function slotAt(tokens: Token[], i: number, index: number): ParameterSlot {
  const before = tokens[i - 1];
  const after = tokens[i + 1];
  if (isWord(before, "limit")) return { index, kind: "limit" };
  if (isWord(before, "offset")) return { index, kind: "offset" };
  // column = $n, column < $n, …
  if (before?.kind === "operator" && comparisons.has(before.text)) {
    const column = columnEndingAt(tokens, i - 2);
    if (column) return { index, kind: "column", column, match: before.text === "=" ? "equal" : "range" };
  }
  // column like $n, column not ilike $n
  if (isWord(before, "like") || isWord(before, "ilike")) {
    const column = columnEndingAt(tokens, isWord(tokens[i - 2], "not") ? i - 3 : i - 2);
    if (column) return { index, kind: "column", column, match: "pattern" };
  }
  // column = any ($n)
  if (before?.kind === "open" && isWord(tokens[i - 2], "any") && tokens[i - 3]?.text === "=") {
    const column = columnEndingAt(tokens, i - 4);
    if (column) return { index, kind: "column", column, match: "array" };
  }
  // column in ($n, $m)
  if (before?.kind === "open" || before?.kind === "comma") {
    let j = i - 1;
    while (tokens[j] && tokens[j].kind !== "open") j--;
    if (isWord(tokens[j - 1], "in")) {
      const column = columnEndingAt(tokens, j - 2);
      if (column) return { index, kind: "column", column, match: "equal" };
    }
  }
  // $n = column
  if (after?.kind === "operator" && comparisons.has(after.text)) {
    const column = columnStartingAt(tokens, i + 2);
    if (column) return { index, kind: "column", column, match: after.text === "=" ? "equal" : "range" };
  }
  const near = tokens.slice(Math.max(0, i - 2), i + 3).map((t) => t.text).join(" ");
  return { index, kind: "unknown", near };
}

/** A value of the column a slot compares with, as text. */
export type ColumnValue = string | null;

/** The page size and offset given to LIMIT and OFFSET parameters. */
export interface PageParameters {
  /** What a LIMIT parameter takes: a page of the list. */
  limit: number;
  /** What an OFFSET parameter takes. */
  offset: number;
}

/**
 * The parameter values of a statement: `columnValue(column)` gives a value of the column (null when it has
 * none), shaped here for how the slot uses it. Returns the values in order, or the reason one cannot be
 * drawn. Parameters are numbered from 1 without gaps in pg_stat_statements' text.
 */
export function bindParameters(
  slots: ParameterSlot[],
  columnValue: (column: string) => ColumnValue,
  page: PageParameters,
): { params: (string | null)[] } | { reason: string } {
  const params: (string | null)[] = [];
  for (const slot of slots) {
    if (slot.index !== params.length + 1) return { reason: `parameter $${params.length + 1} is missing` };
    if (slot.kind === "limit") params.push(String(page.limit));
    else if (slot.kind === "offset") params.push(String(page.offset));
    else if (slot.kind === "unknown") {
      return { reason: `cannot tell what $${slot.index} stands for (near '${slot.near}')` };
    } else {
      const value = columnValue(slot.column);
      if (value === null) return { reason: `column ${slot.column} of $${slot.index} has no value to draw` };
      params.push(shapeValue(value, slot.match));
    }
  }
  return { params };
}

/** A column value shaped for its use: `%abc%` for a pattern (3 characters of it), `{…}` for `= any`. */
export function shapeValue(value: string, match: "equal" | "range" | "pattern" | "array"): string {
  if (match === "pattern") return `%${[...value].slice(0, 3).join("").replace(/[\\%_]/g, "\\$&")}%`;
  if (match === "array") return `{"${value.replace(/["\\]/g, "\\$&")}"}`;
  return value;
}
