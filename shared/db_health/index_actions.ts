import { type Action, type EstimatedGain, estimatedGain } from "../finding/finding.ts";
import { concurrentBuild } from "../recommendations/apply_plan.ts";
import type { IndexRow } from "./health_catalog.ts";

/** What dropping an index does and gains, shared by the rules that propose it. */

const MIB = 1024 * 1024;

/**
 * `drop index concurrently` (no lock that blocks reads or writes of the table), undone by building the index
 * again, concurrently too, from its own pg_get_indexdef(). `if exists` makes a second apply a no-op.
 */
export function dropIndexAction(index: IndexRow): Action {
  return {
    kind: "sql",
    sql: `drop index concurrently if exists ${index.qualifiedName}`,
    rollback: concurrentBuild(index.definition) ?? index.definition,
  };
}

/** The space an index takes, freed by dropping it: an estimate only in that the size may change by then. */
export function indexSpaceGain(index: IndexRow): EstimatedGain {
  return estimatedGain(
    Math.round((index.sizeBytes / MIB) * 100) / 100,
    "MB",
    "the index's current size (pg_relation_size), freed on disk and in the buffer cache; each insert, and each update that is not HOT, also stops writing to it",
  );
}

/** An index for findings and rejections: `public.robots_user_id_idx on public.robots(user_id)`. */
export function describeIndex(index: IndexRow): string {
  const keys = index.columns.slice(0, index.keyCount).join(", ");
  const included = index.columns.slice(index.keyCount);
  const include = included.length > 0 ? ` include (${included.join(", ")})` : "";
  const where = index.predicate ? ` where ${index.predicate}` : "";
  return `${index.schema}.${index.name} on ${index.schema}.${index.table}(${keys})${include}${where}`;
}

/** The subject of an index's findings. */
export function indexSubject(index: IndexRow): string {
  return `index:${index.schema}.${index.name}`;
}
