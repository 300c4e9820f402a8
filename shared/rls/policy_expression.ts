import { identifierName, isWord, matchingClose, type Token, tokenize } from "../sql/tokens.ts";

/**
 * Reading a row level security policy's expression as pg_get_expr prints it (run with an empty search_path,
 * so every function outside pg_catalog is schema-qualified): which functions it calls, with which arguments,
 * whether each call already runs once per statement (`( SELECT auth.uid() AS uid)`, an initPlan) or once per
 * row, which columns it compares with the caller's identity, and the expression with chosen calls wrapped in
 * `(select …)`. Postgres prints, for example:
 *   `(auth.uid() = user_id)`
 *   `(( SELECT auth.uid() AS uid) = user_id)`
 *   `((auth.jwt() ->> 'role'::text) = 'x'::text)`
 *   `(((current_setting('request.jwt.claims'::text, true))::jsonb ->> 'sub'::text) = team)`
 *   `(user_id IN ( SELECT auth.uid() AS uid))`
 */

/** One function call in a policy expression. */
export interface CallSite {
  /** The function as written, e.g. `auth.uid` or `current_setting`. */
  name: string;
  /** Its schema, `pg_catalog` when the printed name is unqualified (read with an empty search_path). */
  schema: string;
  /** Its name without the schema. */
  function: string;
  /** The call's text, arguments included, e.g. `current_setting('request.jwt.claims'::text, true)`. */
  text: string;
  /** Offset of `text` in the expression. */
  start: number;
  /** Offset just past `text`. */
  end: number;
  /** Columns its arguments read: a call that reads the row cannot be hoisted out of the row loop. */
  argumentColumns: string[];
  /** Whether a scalar sub-select with no FROM and no column of its own already evaluates it once. */
  evaluatedOnce: boolean;
}

/** Words that are keywords where Postgres prints them in an expression, never column names. */
const keywords = new Set([
  "and",
  "or",
  "not",
  "is",
  "null",
  "true",
  "false",
  "in",
  "like",
  "ilike",
  "similar",
  "to",
  "between",
  "symmetric",
  "case",
  "when",
  "then",
  "else",
  "end",
  "distinct",
  "from",
  "any",
  "all",
  "some",
  "array",
  "row",
  "select",
  "as",
  "exists",
  "where",
  "group",
  "by",
  "order",
  "limit",
  "offset",
  "having",
  "join",
  "on",
  "left",
  "right",
  "inner",
  "outer",
  "full",
  "cross",
  "lateral",
  "using",
  "union",
  "intersect",
  "except",
  "with",
  "interval",
  "collate",
  "escape",
  "at",
  "time",
  "zone",
  "current_user",
  "session_user",
  "current_role",
  "current_date",
  "current_time",
  "current_timestamp",
  "localtime",
  "localtimestamp",
  "user",
  "overlaps",
  "isnull",
  "notnull",
  "asc",
  "desc",
  "nulls",
  "first",
  "last",
  "filter",
  "within",
  "over",
  "partition",
  "returning",
  "set",
  "values",
  "default",
]);

/** Words that continue a type name after `::`, as in `character varying` or `timestamp with time zone`. */
const typeContinuations = new Set(["varying", "precision", "with", "without", "time", "zone"]);

/** What each identifier token is; other tokens are `null`. */
type Role = "type" | "qualifier" | "call" | "keyword" | "alias" | "column" | null;

/** A tokenized expression with the role of each identifier. */
interface ReadExpression {
  tokens: Token[];
  roles: Role[];
}

function isName(token: Token | undefined): boolean {
  return token?.kind === "word" || token?.kind === "quoted";
}

/** The index after the type name that starts at `i` (after a `::`). */
function typeEnd(tokens: Token[], i: number): number {
  let j = i;
  while (isName(tokens[j]) && tokens[j + 1]?.kind === "dot") j += 2;
  if (!isName(tokens[j])) return j;
  j++;
  while (tokens[j]?.kind === "word" && typeContinuations.has(tokens[j].text.toLowerCase())) j++;
  if (tokens[j]?.kind === "open") j = matchingClose(tokens, j) + 1 || tokens.length;
  while (tokens[j]?.kind === "openBracket" && tokens[j + 1]?.kind === "closeBracket") j += 2;
  return j;
}

/** Tokenizes an expression and tells keywords, types, function names, aliases and columns apart. */
function readExpression(expression: string): ReadExpression {
  const tokens = tokenize(expression);
  const roles: Role[] = tokens.map(() => null);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === "cast") {
      const end = typeEnd(tokens, i + 1);
      for (let j = i + 1; j < end; j++) if (isName(tokens[j])) roles[j] = "type";
      i = end - 1;
      continue;
    }
    if (!isName(token)) continue;
    const next = tokens[i + 1];
    if (next?.kind === "dot" && isName(tokens[i + 2])) roles[i] = "qualifier";
    else if (isWord(tokens[i - 1], "as")) roles[i] = "alias";
    else if (next?.kind === "open" && !(token.kind === "word" && keywords.has(token.text.toLowerCase()))) {
      roles[i] = "call";
    } else if (token.kind === "word" && keywords.has(token.text.toLowerCase())) roles[i] = "keyword";
    else roles[i] = "column";
  }
  return { tokens, roles };
}

/** The index of the innermost unmatched `(` before token `i`, or -1. */
function enclosingOpen(tokens: Token[], i: number): number {
  let depth = 0;
  for (let j = i - 1; j >= 0; j--) {
    if (tokens[j].kind === "close") depth++;
    else if (tokens[j].kind === "open") {
      if (depth === 0) return j;
      depth--;
    }
  }
  return -1;
}

/**
 * Whether the call spanning tokens [first, last] is evaluated once per statement: its nearest enclosing
 * sub-select has no FROM and reads no column besides it, so the planner makes it an initPlan.
 */
function inUncorrelatedScalarSelect(read: ReadExpression, first: number, last: number): boolean {
  const { tokens, roles } = read;
  for (let open = enclosingOpen(tokens, first); open !== -1; open = enclosingOpen(tokens, open)) {
    if (!isWord(tokens[open + 1], "select")) continue;
    const close = matchingClose(tokens, open);
    let depth = 0;
    for (let j = open + 1; j < close; j++) {
      if (tokens[j].kind === "open") depth++;
      else if (tokens[j].kind === "close") depth--;
      else if (depth === 0 && isWord(tokens[j], "from")) return false;
      if ((j < first || j > last) && roles[j] === "column") return false;
    }
    return true;
  }
  return false;
}

/** Every function call in `expression`, outermost first where calls nest. */
export function findCalls(expression: string): CallSite[] {
  const read = readExpression(expression);
  const { tokens, roles } = read;
  const calls: CallSite[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (roles[i] !== "call") continue;
    const qualified = tokens[i - 1]?.kind === "dot" && roles[i - 2] === "qualifier";
    const first = qualified ? i - 2 : i;
    const close = matchingClose(tokens, i + 1);
    if (close === -1) {
      throw new SyntaxError(`unclosed call of ${tokens[i].text} at offset ${tokens[i].start}`);
    }
    const argumentColumns: string[] = [];
    for (let j = i + 2; j < close; j++) {
      if (roles[j] === "column") argumentColumns.push(identifierName(tokens[j]));
    }
    const start = tokens[first].start;
    const end = tokens[close].end;
    calls.push({
      name: expression.slice(start, tokens[i].end),
      schema: qualified ? identifierName(tokens[i - 2]) : "pg_catalog",
      function: identifierName(tokens[i]),
      text: expression.slice(start, end),
      start,
      end,
      argumentColumns,
      evaluatedOnce: inUncorrelatedScalarSelect(read, first, close),
    });
  }
  return calls;
}

/** `expression` with each of `calls` (spans from findCalls on the same text, none inside another) wrapped. */
export function wrapCalls(expression: string, calls: Pick<CallSite, "start" | "end">[]): string {
  let out = expression;
  for (const call of [...calls].sort((a, b) => b.start - a.start)) {
    out = `${out.slice(0, call.start)}(select ${out.slice(call.start, call.end)})${out.slice(call.end)}`;
  }
  return out;
}

/** The token span [first, end] of the operand that ends at token `end`, casts included. */
function operandEndingAt(read: ReadExpression, end: number): [number, number] | null {
  const { tokens, roles } = read;
  let i = end;
  // step back over trailing casts: `(team)::text`, `'x'::character varying(3)`
  for (;;) {
    let j = i;
    while (j >= 0 && (roles[j] === "type" || tokens[j].kind === "dot")) j--;
    if (j < i && tokens[j]?.kind === "cast") i = j - 1;
    else break;
  }
  if (i < 0) return null;
  if (tokens[i].kind === "close") {
    let depth = 0;
    let j = i;
    for (; j >= 0; j--) {
      if (tokens[j].kind === "close") depth++;
      else if (tokens[j].kind === "open" && --depth === 0) break;
    }
    if (j > 0 && roles[j - 1] === "call") j = tokens[j - 2]?.kind === "dot" ? j - 3 : j - 1;
    return [j, end];
  }
  if (roles[i] === "column" && tokens[i - 1]?.kind === "dot") return [i - 2, end];
  return [i, end];
}

/** The token span of the operand that starts at token `start`. */
function operandStartingAt(read: ReadExpression, start: number): [number, number] | null {
  const { tokens, roles } = read;
  let i = start;
  if (i >= tokens.length) return null;
  if (roles[i] === "qualifier") i += 2;
  if (roles[i] === "call" || (roles[i] === "keyword" && tokens[i + 1]?.kind === "open")) i++;
  if (tokens[i]?.kind === "open") i = matchingClose(tokens, i);
  while (tokens[i + 1]?.kind === "cast") {
    i = typeEnd(tokens, i + 2) - 1;
  }
  return [start, i];
}

/** Whether the span is one unqualified column of the policy's table, and which. */
function bareColumn(read: ReadExpression, [first, last]: [number, number]): string | null {
  return first === last && read.roles[first] === "column" ? identifierName(read.tokens[first]) : null;
}

/** Whether the span calls a function or runs a sub-select: the caller's identity, not a constant. */
function isIdentityOperand(read: ReadExpression, [first, last]: [number, number]): boolean {
  for (let i = first; i <= last; i++) {
    if (read.roles[i] === "call" || isWord(read.tokens[i], "select")) return true;
  }
  return false;
}

/**
 * The table's own columns the expression compares, with `=` or `IN`, to a function call or a sub-select
 * (`auth.uid() = user_id`, `user_id IN ( SELECT auth.uid() AS uid)`): the columns that pick the rows of the
 * signed-in user, which an index leading on them serves.
 */
export function identityColumns(expression: string): string[] {
  const read = readExpression(expression);
  const { tokens } = read;
  const found = new Set<string>();
  for (let k = 1; k < tokens.length - 1; k++) {
    const isEquals = tokens[k].kind === "operator" && tokens[k].text === "=";
    const isIn = isWord(tokens[k], "in") && tokens[k + 1].kind === "open";
    if (!isEquals && !isIn) continue;
    const left = operandEndingAt(read, k - 1);
    const right = operandStartingAt(read, k + 1);
    if (!left || !right) continue;
    for (const [column, other] of [[left, right], [right, left]] as const) {
      const name = bareColumn(read, column);
      if (name && isIdentityOperand(read, other)) found.add(name);
    }
  }
  return [...found];
}
