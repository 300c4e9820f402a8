import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import type { IndexRow, RuleOutcome } from "./health_catalog.ts";
import { describeIndex, dropIndexAction, indexSpaceGain, indexSubject } from "./index_actions.ts";

const rule = "index.prefix-redundant";

const same = <T>(a: T[], b: T[]) => a.length === b.length && a.every((value, i) => value === b[i]);

/**
 * Why `shorter` is not made redundant by `longer` although its key columns lead longer's, or null when it
 * is. Only btree indexes are compared: a btree serves any leading subset of its keys in the same order.
 */
function whyNotRedundant(shorter: IndexRow, longer: IndexRow): string | null {
  const n = shorter.keyCount;
  if (shorter.primary || shorter.unique || shorter.constraintName !== null) {
    return `it enforces uniqueness (or a constraint) on its own columns, which ${longer.name} does not`;
  }
  if (shorter.predicate !== longer.predicate) {
    return `its predicate (${shorter.predicate ?? "none"}) differs from ${longer.name}'s (${
      longer.predicate ?? "none"
    })`;
  }
  if (!same(shorter.opclasses.slice(0, n), longer.opclasses.slice(0, n))) {
    return `its operator classes differ from ${longer.name}'s on the shared columns`;
  }
  if (!same(shorter.collations.slice(0, n), longer.collations.slice(0, n))) {
    return `its collations differ from ${longer.name}'s on the shared columns`;
  }
  if (!same(shorter.options.slice(0, n), longer.options.slice(0, n))) {
    return `its sort order (asc/desc, nulls first/last) differs from ${longer.name}'s on the shared columns`;
  }
  const longerColumns = new Set(longer.columns);
  const missing = shorter.columns.slice(n).filter((column) => !longerColumns.has(column));
  if (missing.length > 0) {
    return `its include columns (${
      missing.join(", ")
    }) are not in ${longer.name}, so index-only scans need it`;
  }
  return null;
}

/**
 * Btree indexes whose key columns lead another valid btree index of the same table (the longer one serves
 * every scan the shorter serves) with the same predicate, operator classes, collations and sort order, and
 * whose include columns the longer one holds too. Identical indexes are index.duplicate's; two with the
 * same keys and as many include columns are simply different. A shorter index that is unique is kept: it
 * enforces something the longer does not. A longer index another rule proposes to drop (`dropped`, by
 * subject, e.g. index.unused's findings) covers nothing: applying both would leave neither. Supabase's
 * linter does not report these. Not auto-applied: the planner may have preferred the smaller index, so
 * plans can change.
 */
export function findPrefixRedundantIndexes(
  indexes: IndexRow[],
  dropped: ReadonlySet<string> = new Set(),
): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const btrees = indexes.filter((index) => index.valid && index.method === "btree");

  for (const shorter of btrees) {
    const keys = shorter.columns.slice(0, shorter.keyCount);
    // the longer candidates: other btrees of the table whose keys start with shorter's and that have more
    // key columns, or the same keys and more include columns
    const leading = btrees.filter((longer) =>
      longer.tableOid === shorter.tableOid && same(longer.columns.slice(0, shorter.keyCount), keys) &&
      (longer.keyCount > shorter.keyCount ||
        (longer.keyCount === shorter.keyCount && longer.columns.length > shorter.columns.length))
    );
    const reasons: string[] = [];
    const covering = leading.find((longer) => {
      const why = dropped.has(indexSubject(longer))
        ? "it is itself proposed for dropping"
        : whyNotRedundant(shorter, longer);
      if (why !== null) reasons.push(`not made redundant by ${longer.name}: ${why}`);
      return why === null;
    });
    if (!covering) {
      for (const reason of reasons) rejected.push({ rule, subject: indexSubject(shorter), reason });
      continue;
    }
    findings.push(createFinding({
      rule,
      system: "db",
      subject: indexSubject(shorter),
      severity: "info",
      title: `Index ${shorter.schema}.${shorter.name} is a prefix of ${covering.schema}.${covering.name}`,
      detail: `The key columns of ${describeIndex(shorter)} lead ${
        describeIndex(covering)
      }, with the same predicate, operator classes, collations and sort order: ${covering.name} serves every scan ${shorter.name} serves, and every write maintains both. Drop ${shorter.name}; the rollback recreates it.`,
      evidence: {
        series: ["pg_index", "pg_get_indexdef"],
        windows: [],
        statistic: { name: "key columns lead", value: `${covering.schema}.${covering.name}` },
      },
      gain: indexSpaceGain(shorter),
      action: dropIndexAction(shorter),
      autoApplicable: false,
    }));
  }
  return { findings, rejected };
}
