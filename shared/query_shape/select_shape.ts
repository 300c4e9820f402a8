import { identifierName, isWord, type Token, tokenize } from "../sql/tokens.ts";

/**
 * The shape of a single-table SELECT as pg_stat_statements records it: the table it reads, its target list
 * (`*` or the items between SELECT and FROM) and where that list sits in the text, so that a caller can
 * measure the same statement with fewer columns. Statements of other shapes (joins, unions, CTEs, writes)
 * are turned down with the reason.
 */

/** One item of the target list. */
export interface Target {
  /** Its text, e.g. `*`, `r.*`, `name` or `count(*) as n`. */
  text: string;
  /** The column it names when it is a bare column (`name`, `r.name`), else null. */
  column: string | null;
  /** Whether it is `*` or `alias.*`. */
  star: boolean;
}

/** A single-table SELECT. */
export interface SelectShape {
  /** The table's schema, or null when the statement leaves it to the search_path. */
  schema: string | null;
  /** The table it reads. */
  table: string;
  /** The items of its target list, in order. */
  targets: Target[];
  /** Offset of the target list in the statement. */
  targetsStart: number;
  /** Offset just past the target list. */
  targetsEnd: number;
}

/** Words after which the FROM clause of a single-table statement has ended. */
const afterFrom = new Set(["where", "order", "limit", "offset", "group", "having", "for", "window", "fetch"]);

/** The single-table SELECT `statement` is, or the reason it is not one. */
export function readSelectShape(statement: string): { shape: SelectShape } | { reason: string } {
  let tokens: Token[];
  try {
    tokens = tokenize(statement);
  } catch (error) {
    return { reason: `cannot be read: ${(error as Error).message}` };
  }
  if (!isWord(tokens[0], "select")) {
    return {
      reason: "does not start with SELECT (CTEs are not read; writes are not measured: they lock rows)",
    };
  }
  const depth0 = depthZero(tokens);
  const from = depth0.findIndex((i) => isWord(tokens[i], "from"));
  if (from === -1) return { reason: "reads no table" };
  for (const i of depth0) {
    for (const word of ["union", "intersect", "except", "join"]) {
      if (isWord(tokens[i], word)) {
        return { reason: `has ${word.toUpperCase()}: only single-table reads are measured` };
      }
    }
  }
  const fromIndex = depth0[from];
  let i = fromIndex + 1;
  const names: string[] = [];
  while (tokens[i]?.kind === "word" || tokens[i]?.kind === "quoted") {
    names.push(identifierName(tokens[i]));
    if (tokens[i + 1]?.kind !== "dot") break;
    i += 2;
  }
  if (names.length === 0 || names.length > 2) return { reason: "reads from something other than a table" };
  i++;
  if (isWord(tokens[i], "as")) i++;
  if (
    (tokens[i]?.kind === "word" && !afterFrom.has(tokens[i].text.toLowerCase())) ||
    tokens[i]?.kind === "quoted"
  ) {
    i++;
  }
  if (
    tokens[i] && tokens[i].kind !== "semicolon" &&
    !(tokens[i].kind === "word" && afterFrom.has(tokens[i].text.toLowerCase()))
  ) {
    return { reason: `reads more than one table (at '${tokens[i].text}')` };
  }
  let first = 1;
  if (isWord(tokens[1], "distinct") || isWord(tokens[1], "all")) {
    return { reason: "has DISTINCT: fewer columns would change which rows it returns" };
  }
  const targets: Target[] = [];
  for (
    const end of [...depth0.filter((k) => k > 0 && k < fromIndex && tokens[k].kind === "comma"), fromIndex]
  ) {
    targets.push(target(statement, tokens, first, end));
    first = end + 1;
  }
  return {
    shape: {
      schema: names.length === 2 ? names[0] : null,
      table: names.at(-1)!,
      targets,
      targetsStart: tokens[1].start,
      targetsEnd: tokens[fromIndex - 1].end,
    },
  };
}

/** The indexes of the tokens outside any parentheses. */
function depthZero(tokens: Token[]): number[] {
  const out: number[] = [];
  let depth = 0;
  tokens.forEach((token, i) => {
    if (token.kind === "open") depth++;
    else if (token.kind === "close") depth--;
    else if (depth === 0) out.push(i);
  });
  return out;
}

/** The target made of tokens [first, end). */
function target(statement: string, tokens: Token[], first: number, end: number): Target {
  const span = tokens.slice(first, end);
  const text = statement.slice(span[0].start, span.at(-1)!.end);
  const star = span.at(-1)!.text === "*" &&
    (span.length === 1 || (span.length === 3 && span[1].kind === "dot"));
  const isName = (t: Token) => t.kind === "word" || t.kind === "quoted";
  let column: string | null = null;
  if (span.length === 1 && isName(span[0])) column = identifierName(span[0]);
  if (span.length === 3 && isName(span[0]) && span[1].kind === "dot" && isName(span[2])) {
    column = identifierName(span[2]);
  }
  return { text, column, star };
}
