/** A statement's text on one line (runs of white space as one space), cut to `maxChars` and marked `…` when cut. */
export function abbreviate(query: string, maxChars: number): string {
  const line = query.replace(/\s+/g, " ").trim();
  return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
}
