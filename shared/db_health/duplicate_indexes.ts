import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import type { IndexRow, RuleOutcome } from "./health_catalog.ts";
import { describeIndex, dropIndexAction, indexSpaceGain, indexSubject } from "./index_actions.ts";

const rule = "index.duplicate";

/**
 * What makes two indexes of a table the same index: method, columns (keys and includes, names or
 * expressions), operator classes, collations, sort options and predicate. Uniqueness is left out on purpose:
 * a plain index that repeats a unique one is a duplicate of it.
 */
export function indexSignature(index: IndexRow): string {
  return JSON.stringify([
    index.tableOid,
    index.method,
    index.keyCount,
    index.columns,
    index.opclasses,
    index.collations,
    index.options,
    index.predicate,
  ]);
}

/**
 * Which of a set of identical indexes to keep: primary key, then constraint, then unique, then the one
 * scanned most (the planner's choice; the copy left unscanned is then also the one index.unused may
 * report, so the two findings never drop both), then by name.
 */
function keepOrder(a: IndexRow, b: IndexRow): number {
  const rank = (i: IndexRow) => (i.primary ? 3 : i.constraintName !== null ? 2 : i.unique ? 1 : 0);
  return rank(b) - rank(a) || b.scans - a.scans || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Valid indexes identical to another of their table (indexSignature). Of each group one is kept (keepOrder:
 * the one that enforces most, so a unique index is kept over a plain copy) and every other is reported. A
 * copy that backs a constraint cannot be dropped by `drop index`: its finding is guidance to drop the
 * constraint, which foreign keys may depend on. Dropping a plain copy changes no plan (its twin serves the
 * same scans), so the suite may apply it by itself.
 */
export function findDuplicateIndexes(indexes: IndexRow[]): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const groups = new Map<string, IndexRow[]>();
  for (const index of indexes) {
    // an invalid index serves nothing: index.invalid reports it
    if (!index.valid) continue;
    const key = indexSignature(index);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  }

  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const [kept, ...copies] = [...group].sort(keepOrder);
    for (const copy of copies) {
      const enforces = copy.constraintName !== null;
      findings.push(createFinding({
        rule,
        system: "db",
        subject: indexSubject(copy),
        severity: "warning",
        title: `Index ${copy.schema}.${copy.name} duplicates ${kept.schema}.${kept.name}`,
        detail: `${describeIndex(copy)} is identical to ${describeIndex(kept)}${
          kept.unique && !copy.unique ? ", which is unique" : ""
        }: every write maintains both and scans use either. Keep ${kept.name}, drop ${copy.name}${
          enforces ? ` (it backs constraint ${copy.constraintName}: drop the constraint instead)` : ""
        }.`,
        evidence: {
          series: ["pg_index", "pg_get_indexdef"],
          windows: [],
          statistic: { name: "identical to", value: `${kept.schema}.${kept.name}` },
        },
        gain: indexSpaceGain(copy),
        action: enforces
          ? {
            kind: "guidance",
            text:
              `alter table ${copy.schema}.${copy.table} drop constraint ${copy.constraintName}, after checking no foreign key references it (pg_constraint.conindid); the index ${kept.name} keeps enforcing the same rule`,
          }
          : dropIndexAction(copy),
        autoApplicable: !enforces,
      }));
    }
    if (copies.length > 0) {
      rejected.push({
        rule,
        subject: indexSubject(kept),
        reason: `kept among ${group.length} identical indexes: ${
          kept.primary
            ? "primary key"
            : kept.constraintName
            ? "backs a constraint"
            : kept.unique
            ? "unique"
            : copies.some((copy) => copy.scans < kept.scans)
            ? "scanned most"
            : "first by name"
        }`,
      });
    }
  }
  return { findings, rejected };
}
