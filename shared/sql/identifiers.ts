/** An always-quoted SQL identifier: safe for any name, keywords and mixed case included. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A schema-qualified name, both parts quoted: `"public"."robots"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A name as a person would write it: bare when it is lower case letters, digits and `_`, else quoted. */
export function readableIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}
