/**
 * Whether a cache namespace and a database statement or series are about the same data, by name: the
 * namespace's words (split on anything but letters, digits and _) against the relations a statement reads or
 * writes (after from, join, update, into) or the words of a database series' target. `robots`, `robots:list`
 * and `robot` all match `public.robots`. A name match is a heuristic: a namespace named for a page rather
 * than a table matches nothing, and the rule then says so.
 */

/** The lowercase words of a name, 3 characters or longer. */
export function nameWords(name: string): string[] {
  return name.toLowerCase().split(/[^a-z0-9_]+/).filter((word) => word.length >= 3);
}

const relationPattern =
  /\b(?:from|join|update|into)\s+(?:only\s+)?((?:"[^"]+"|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|[\w$]+))?)/gi;

/** The relations `sql` names after from, join, update or into, lowercase and without schema or quotes. */
export function relationsOf(sql: string): string[] {
  const relations = new Set<string>();
  for (const match of sql.matchAll(relationPattern)) {
    const last = match[1].split(".").pop()!.trim().replace(/^"|"$/g, "");
    relations.add(last.toLowerCase());
  }
  return [...relations];
}

/** Whether two words name the same thing, allowing a plural `s`. */
function sameWord(a: string, b: string): boolean {
  return a === b || a === `${b}s` || b === `${a}s`;
}

/** Whether any word of `namespace` names one of `names`. */
export function sharesName(namespace: string, names: readonly string[]): boolean {
  const words = nameWords(namespace);
  return names.some((name) => words.some((word) => sameWord(word, name)));
}
