import { quoteIdent, readableIdent } from "../sql/identifiers.ts";
import type { SelectShape } from "./select_shape.ts";

/**
 * Which columns of a single-table SELECT are wide enough that shipping them is the cost left once the rows
 * are found, and the same statement without them. A column is wide when its values average at least
 * `minColumnBytes` as text, the form Postgres sends them in: measured on a sample of rows rather than read
 * from pg_stats, whose avg_width counts a TOASTed value as its 18-byte pointer.
 */

/** The statement narrowed to the columns worth selecting. */
export interface Narrowing {
  /** The wide columns it selects, widest first, with their average size as text. */
  wide: { column: string; avgBytes: number }[];
  /** The columns left, as a person would write them in a select list. */
  narrowColumns: string[];
  /** The statement with the narrow target list in place of the original one. */
  narrowStatement: string;
}

/**
 * The narrowing of `statement` (read as `shape`) given the table's columns in order and each column's
 * average size as text (columns missing from `avgBytes` are fixed-width and narrow); or the reason there is
 * none.
 */
export function planNarrowing(
  statement: string,
  shape: SelectShape,
  tableColumns: string[],
  avgBytes: ReadonlyMap<string, number>,
  minColumnBytes: number,
): { narrowing: Narrowing } | { reason: string } {
  const selected = shape.targets.flatMap((t) => t.star ? tableColumns : t.column ? [t.column] : []);
  const isWide = (column: string) => (avgBytes.get(column) ?? 0) >= minColumnBytes;
  const wide = [...new Set(selected.filter(isWide))]
    .map((column) => ({ column, avgBytes: avgBytes.get(column)! }))
    .sort((a, b) => b.avgBytes - a.avgBytes);
  if (wide.length === 0) {
    const widest = [...new Set(selected)].sort((a, b) => (avgBytes.get(b) ?? 0) - (avgBytes.get(a) ?? 0))[0];
    return {
      reason: `no selected column averages ${minColumnBytes} bytes or more` +
        (widest ? ` (widest: ${widest}, ${Math.round(avgBytes.get(widest) ?? 0)} bytes)` : ""),
    };
  }
  const narrowTargets: string[] = [];
  const narrowColumns: string[] = [];
  for (const target of shape.targets) {
    if (target.star) {
      const kept = tableColumns.filter((c) => !isWide(c));
      narrowTargets.push(...kept.map(quoteIdent));
      narrowColumns.push(...kept.map(readableIdent));
    } else if (!(target.column && isWide(target.column))) {
      narrowTargets.push(target.text);
      narrowColumns.push(target.column ? readableIdent(target.column) : target.text);
    }
  }
  if (narrowTargets.length === 0) {
    return { reason: "every column it selects is wide: nothing narrower to select" };
  }
  return {
    narrowing: {
      wide,
      narrowColumns,
      narrowStatement: `${statement.slice(0, shape.targetsStart)}${narrowTargets.join(", ")}${
        statement.slice(shape.targetsEnd)
      }`,
    },
  };
}
