import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import type { DbHealthOptions } from "./db_health_options.ts";
import type { ForeignKeyRow, IndexRow, RuleOutcome } from "./health_catalog.ts";

const rule = "index.unindexed-foreign-key";

/** Postgres truncates identifiers to 63 bytes (NAMEDATALEN - 1). */
const maxIdentifierBytes = 63;

/**
 * Whether the leading key columns of `index` are the key's columns in any order: a lookup by all of them is
 * then one index range, so deleting or updating a referenced row finds the referencing rows without a
 * sequential scan.
 */
function leadsWithKey(key: ForeignKeyRow, index: IndexRow): boolean {
  const n = key.attnums.length;
  const leading = new Set(index.attnums.slice(0, n));
  return index.keyCount >= n && leading.size === n && key.attnums.every((attnum) => leading.has(attnum));
}

/**
 * Why an index that leads with the key's columns still does not cover it, or null when it does. A partial
 * index does not: the lookup must find every referencing row, including those its predicate leaves out.
 */
function whyNotCovering(index: IndexRow): string | null {
  if (!index.valid) return `${index.name} leads with the key's columns but is invalid`;
  if (index.predicate !== null) {
    return `${index.name} leads with the key's columns but is partial (where ${index.predicate}): it misses the rows outside its predicate`;
  }
  if (index.method !== "btree") {
    return `${index.name} leads with the key's columns but is ${index.method}, not btree`;
  }
  return null;
}

/** A name for the new index that no index of the schema has: `<table>_<columns>_idx`, at most 63 bytes. */
function newIndexName(key: ForeignKeyRow, taken: Set<string>): string {
  const base = `${key.table}_${key.columns.join("_")}`.toLowerCase().replace(/[^a-z0-9_]+/g, "_");
  for (let n = 0;; n++) {
    const suffix = n === 0 ? "_idx" : `_idx${n}`;
    // a plain [a-z0-9_] name ending in _idx needs no quotes and is no keyword
    const name = `${/^[a-z_]/.test(base) ? "" : "t_"}${base}`.slice(0, maxIdentifierBytes - suffix.length) +
      suffix;
    if (!taken.has(name)) return name;
  }
}

/**
 * Foreign keys that no valid, non-partial btree index leading with their columns covers, the primary key
 * included. The proposed index is built concurrently and dropped concurrently by the rollback. Not
 * auto-applied: an index costs writes, and whether referenced rows are ever deleted or their keys updated
 * is the developer's call.
 */
export function findUnindexedForeignKeys(
  foreignKeys: ForeignKeyRow[],
  indexes: IndexRow[],
  options: Pick<DbHealthOptions, "foreignKeyWarningRows">,
): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  for (const key of foreignKeys) {
    const subject = `foreign-key:${key.schema}.${key.table}.${key.name}`;
    const leading = indexes.filter((index) => index.tableOid === key.tableOid && leadsWithKey(key, index));
    const reasons = leading.map(whyNotCovering);
    if (reasons.includes(null)) continue;
    // the near misses: indexes that lead with the key's columns but cannot serve its lookups
    for (const reason of reasons) if (reason !== null) rejected.push({ rule, subject, reason });

    const taken = new Set(indexes.filter((index) => index.schema === key.schema).map((index) => index.name));
    const name = newIndexName(key, taken);
    const columns = key.quotedColumns.join(", ");
    const rows = Math.max(0, Math.round(key.tableRows));
    findings.push(createFinding({
      rule,
      system: "db",
      subject,
      severity: rows >= options.foreignKeyWarningRows ? "warning" : "info",
      title: `Foreign key ${key.name} on ${key.schema}.${key.table}(${key.columns.join(", ")}) has no index`,
      detail:
        `No valid, non-partial btree index of ${key.schema}.${key.table} (about ${rows} rows) leads with (${
          key.columns.join(", ")
        }), the columns of foreign key ${key.name} to ${key.referencedTable}: deleting a ${key.referencedTable} row or changing its key scans the whole table, and so do joins on the key. Create the index.`,
      evidence: {
        series: ["pg_constraint", "pg_index"],
        windows: [],
        statistic: { name: "covering indexes", value: 0 },
      },
      gain: null,
      action: {
        kind: "sql",
        sql: `create index concurrently ${name} on ${key.qualifiedTable} using btree (${columns})`,
        rollback: `drop index concurrently if exists ${key.quotedSchema}.${name}`,
      },
      autoApplicable: false,
    }));
  }
  return { findings, rejected };
}
