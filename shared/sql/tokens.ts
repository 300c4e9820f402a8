import { storedName } from "./identifiers.ts";

/**
 * A lexer for the SQL text the analyzers read: policy expressions as pg_get_expr prints them and statements
 * as pg_stat_statements normalizes them. It splits text into tokens with their offsets, so that a caller can
 * find a construct by its tokens and rewrite the text around it without reprinting the rest. It does not
 * parse: string literals, quoted identifiers, dollar quotes and comments are recognized so that nothing inside
 * them is taken for code.
 */

/** What a token is. `word` covers keywords and unquoted identifiers alike. */
export type TokenKind =
  | "word"
  | "quoted"
  | "string"
  | "number"
  | "param"
  | "operator"
  | "cast"
  | "open"
  | "close"
  | "openBracket"
  | "closeBracket"
  | "comma"
  | "dot"
  | "semicolon";

/** One token: its kind, its text as written, and its offsets in the source (`end` exclusive). */
export interface Token {
  /** What it is. */
  kind: TokenKind;
  /** Its text as written. */
  text: string;
  /** Its offset in the source. */
  start: number;
  /** The offset just past it. */
  end: number;
}

const operatorChars = "+-*/<>=~!@#%^&|`?";

/** The tokens of `sql`, whitespace and comments left out. Throws on an unterminated literal or comment. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number) =>
    tokens.push({ kind, text: sql.slice(start, end), start, end });
  while (i < sql.length) {
    const c = sql[i];
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith("--", i)) {
      const newline = sql.indexOf("\n", i);
      i = newline === -1 ? sql.length : newline + 1;
    } else if (sql.startsWith("/*", i)) {
      const close = sql.indexOf("*/", i + 2);
      if (close === -1) throw new SyntaxError(`unterminated comment at offset ${start}`);
      i = close + 2;
    } else if (c === "'" || ((c === "E" || c === "e") && sql[i + 1] === "'")) {
      i = endOfString(sql, c === "'" ? i : i + 1, c !== "'");
      push("string", start, i);
    } else if (c === '"') {
      i = endOfQuoted(sql, i, '"');
      push("quoted", start, i);
    } else if (c === "$" && /[0-9]/.test(sql[i + 1] ?? "")) {
      i++;
      while (/[0-9]/.test(sql[i] ?? "")) i++;
      push("param", start, i);
    } else if (c === "$" && /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.test(sql.slice(i))) {
      const tag = sql.slice(i).match(/^\$([A-Za-z_][A-Za-z_0-9]*)?\$/)![0];
      const close = sql.indexOf(tag, i + tag.length);
      if (close === -1) throw new SyntaxError(`unterminated dollar-quoted string at offset ${start}`);
      i = close + tag.length;
      push("string", start, i);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      while (/[A-Za-z_0-9$\u0080-\uffff]/.test(sql[i] ?? "")) i++;
      push("word", start, i);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      while (/[0-9.]/.test(sql[i] ?? "")) i++;
      if (/[eE]/.test(sql[i] ?? "") && /[-+0-9]/.test(sql[i + 1] ?? "")) {
        i += 2;
        while (/[0-9]/.test(sql[i] ?? "")) i++;
      }
      push("number", start, i);
    } else if (c === ":" && sql[i + 1] === ":") {
      i += 2;
      push("cast", start, i);
    } else if (c === "(" || c === ")" || c === "[" || c === "]" || c === "," || c === "." || c === ";") {
      i++;
      const kinds: Record<string, TokenKind> = {
        "(": "open",
        ")": "close",
        "[": "openBracket",
        "]": "closeBracket",
        ",": "comma",
        ".": "dot",
        ";": "semicolon",
      };
      push(kinds[c], start, i);
    } else if (operatorChars.includes(c) || c === ":") {
      while (i < sql.length && (operatorChars.includes(sql[i]) || (sql[i] === ":" && sql[i + 1] !== ":"))) {
        // `--` and `/*` start comments even right after an operator
        if (i > start && (sql.startsWith("--", i) || sql.startsWith("/*", i))) break;
        i++;
      }
      push("operator", start, i);
    } else {
      throw new SyntaxError(`unexpected character '${c}' at offset ${start}`);
    }
  }
  return tokens;
}

/** The index of the token that closes the parenthesis at `open`, or -1 when it is never closed. */
export function matchingClose(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].kind === "open") depth++;
    else if (tokens[i].kind === "close" && --depth === 0) return i;
  }
  return -1;
}

/** The name an identifier token stands for: quoted identifiers as written, unquoted ones folded to lower case. */
export function identifierName(token: Token): string {
  return storedName(token.text);
}

/** Whether the token is the keyword `word` (case-insensitive). */
export function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === "word" && token.text.toLowerCase() === word;
}

function endOfString(sql: string, quote: number, backslashEscapes: boolean): number {
  let i = quote + 1;
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === "\\") i += 2;
    else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
    else if (sql[i] === "'") return i + 1;
    else i++;
  }
  throw new SyntaxError(`unterminated string literal at offset ${quote}`);
}

function endOfQuoted(sql: string, quote: number, mark: string): number {
  let i = quote + 1;
  while (i < sql.length) {
    if (sql[i] === mark && sql[i + 1] === mark) i += 2;
    else if (sql[i] === mark) return i + 1;
    else i++;
  }
  throw new SyntaxError(`unterminated quoted identifier at offset ${quote}`);
}
