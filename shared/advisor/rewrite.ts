/**
 * Step 2a, the text rewrite: pg_stat_statements replaces every constant with `$n`, and some of what it
 * produces cannot be PREPAREd again, so could not be explained. The forms rewritten here (found on the
 * reference app and in pg_stat_statements' normalization):
 * - a typed literal `date '2026-01-01'` becomes `date $1`, which is not SQL: it becomes `$1::date`;
 * - `extract(epoch from x)` keeps its field as a string constant since Postgres 14, so it becomes
 *   `extract($1 from x)`, which does not parse: it becomes `date_part($1::text, x)`, the same call;
 * - arithmetic or concatenation of parameters only (`$1 + $2`, `$1 || $2 || $3`, from `'%' || $1 || '%'`)
 *   leaves Postgres no type to resolve the operator with: a run-time constant either way, it becomes one
 *   parameter, typed by its context as the original expression was.
 * Parameters are then numbered again from $1 without gaps, because PREPARE refuses a parameter it cannot
 * type, and a parameter no longer referenced has no type. The explain passes NULL for every parameter.
 */

/** A statement text that can be prepared, and what was changed to get it. */
export interface PreparableText {
  text: string;
  /** How many parameters the prepared statement takes. */
  parameters: number;
  /** One line per kind of rewrite applied, e.g. `date $1 → $1::date`. */
  rewrites: string[];
}

// Types that take a literal after their name; longest first so that `timestamp with time zone` wins.
const typedLiteralTypes = [
  "timestamp with time zone",
  "timestamp without time zone",
  "time with time zone",
  "time without time zone",
  "double precision",
  "timestamptz",
  "timestamp",
  "interval",
  "numeric",
  "bigint",
  "integer",
  "boolean",
  "jsonb",
  "json",
  "date",
  "time",
  "uuid",
  "text",
  "int",
].map((t) => t.replaceAll(" ", "\\s+"));

const typedLiteral = new RegExp(`\\b(${typedLiteralTypes.join("|")})\\s+\\$(\\d+)\\b`, "gi");
const extractField = /\bextract\s*\(\s*\$(\d+)\s+from\s+/gi;
const parameterChain = /\$(\d+)(?:\s*(?:\+|-|\*|\/|%|\|\|)\s*\$\d+)+(?![\d.:])/g;

// Splits text into code and quoted parts ('…', "…"): only code is rewritten.
function codeSegments(text: string): { code: boolean; text: string }[] {
  return text.split(/('(?:[^']|'')*'|"(?:[^"]|"")*")/).map((part, i) => ({ code: i % 2 === 0, text: part }));
}

/** Pure: the statement in a form PREPARE accepts (see the top of this file). */
export function rewriteForPrepare(query: string): PreparableText {
  const rewrites = new Set<string>();
  const segments = codeSegments(query).map((segment) => {
    if (!segment.code) return segment.text;
    return segment.text
      .replace(typedLiteral, (_all, type: string, n: string) => {
        const name = type.toLowerCase().replace(/\s+/g, " ");
        rewrites.add(`${name} $n → $n::${name}`);
        return `$${n}::${name}`;
      })
      .replace(extractField, (_all, n: string) => {
        rewrites.add("extract($n from …) → date_part($n::text, …)");
        return `date_part($${n}::text, `;
      })
      .replace(parameterChain, (_all, n: string) => {
        rewrites.add("an expression of parameters only → one parameter");
        return `$${n}`;
      });
  });
  // renumber the parameters still referenced, in order of first appearance
  const numbering = new Map<string, number>();
  const text = segments.map((segment, i) =>
    i % 2 === 0
      ? segment.replace(/\$(\d+)\b/g, (_all, n: string) => {
        if (!numbering.has(n)) numbering.set(n, numbering.size + 1);
        return `$${numbering.get(n)}`;
      })
      : segment
  ).join("");
  const renumbered = [...numbering].some(([from, to]) => Number(from) !== to);
  if (renumbered) rewrites.add("parameters renumbered from $1");
  return { text, parameters: numbering.size, rewrites: [...rewrites] };
}
