/**
 * Rows in Postgres' COPY text format (tab-separated, \N for null, backslash escapes), the fastest way to
 * stream generated rows into a table.
 */

/** One field: null as \N, dates as ISO, objects as JSON, booleans as t/f, text escaped. */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "boolean") return value ? "t" : "f";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`cannot copy a non-finite number: ${value}`);
    return String(value);
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.replace(
    /[\\\n\r\t]/g,
    (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"),
  );
}

/** One row as a line, with its newline. */
export function copyLine(values: readonly unknown[]): string {
  return values.map(copyField).join("\t") + "\n";
}

/** Joins rows' lines into chunks of about `chunkChars` characters, so the socket sees few, large writes. */
export function* copyChunks<T>(
  rows: Iterable<T>,
  toValues: (row: T) => readonly unknown[],
  chunkChars = 256 * 1024,
  onRows?: (count: number) => void,
): Generator<string> {
  let chunk = "";
  let pending = 0;
  for (const row of rows) {
    chunk += copyLine(toValues(row));
    pending++;
    if (chunk.length >= chunkChars) {
      yield chunk;
      onRows?.(pending);
      chunk = "";
      pending = 0;
    }
  }
  if (chunk.length > 0) {
    yield chunk;
    onRows?.(pending);
  }
}
