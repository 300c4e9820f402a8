/**
 * The tables a statement writes, as its text names them: what tells an index's check which statements its
 * maintenance slows down. Statement texts are pg_stat_statements' (constants replaced by `$n`); PostgREST,
 * which supabase-js writes through, wraps each write in a CTE (`with pgrst_source as (insert into
 * "public"."robots" …) select …`), so a write is looked for anywhere in the text, not only at its start.
 * Words that follow `update` without naming a table (`for update skip locked`, `on conflict do update set`)
 * come out as names no table has, and resolving them against the catalog drops them.
 */

const identifier = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const write = new RegExp(
  String.raw`\b(?:insert\s+into|update|delete\s+from|merge\s+into)\s+(?:only\s+)?` +
    String.raw`(${identifier}(?:\s*\.\s*${identifier})?)`,
  "gi",
);

/**
 * Pure: the names `query` writes into, as written (`"public"."robots"`, `robots`), each once, in the order
 * they first appear.
 */
export function writtenTables(query: string): string[] {
  const names = [...query.matchAll(write)].map((match) => match[1].replace(/\s*\.\s*/, "."));
  return [...new Set(names)];
}
