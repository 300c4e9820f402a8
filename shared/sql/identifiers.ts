/** An always-quoted SQL identifier: safe for any name, keywords and mixed case included. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A schema-qualified name, both parts quoted: `"public"."robots"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * The name a written identifier stands for, as pg_class and pg_attribute store it: a quoted one as written
 * (`"My""Index"` -> `My"Index`), a bare one folded to lower case (`Robots_Idx` -> `robots_idx`).
 */
export function storedName(written: string): string {
  return written.startsWith('"') ? written.slice(1, -1).replaceAll('""', '"') : written.toLowerCase();
}

// Postgres 15's reserved keywords and those that cannot name a column or table (Appendix C of its manual).
const reserved = new Set(
  (
    "all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate " +
    "collation column concurrently constraint create cross current_catalog current_date current_role " +
    "current_schema current_time current_timestamp current_user default deferrable desc distinct do else end " +
    "except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into " +
    "is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on " +
    "only or order outer overlaps placing primary references returning right select session_user similar some " +
    "symmetric table tablesample then to trailing true union unique user using variadic verbose when where " +
    "window with"
  ).split(" "),
);

/**
 * A name as a person would write it and Postgres reads back unchanged: bare when it is lower case letters,
 * digits, `_` and `$` and not a reserved word, quoted otherwise. DDL, subjects and predicate keys all spell
 * names this one way, so that the same column reads the same everywhere (a plan's `deleted_at is null` and
 * pg_stats' `deleted_at`).
 */
export function readableIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !reserved.has(name) ? name : quoteIdent(name);
}
