/** An always-quoted SQL identifier: safe for any name, keywords and mixed case included. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A schema-qualified name, both parts quoted: `"public"."robots"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}
