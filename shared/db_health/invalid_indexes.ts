import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import type { IndexRow, RuleOutcome } from "./health_catalog.ts";
import { describeIndex, dropIndexAction, indexSpaceGain, indexSubject } from "./index_actions.ts";

const rule = "index.invalid";

/**
 * Indexes with pg_index.indisvalid = false: what a `create index concurrently` (or `reindex concurrently`)
 * that failed leaves behind, e.g. a unique index over duplicate rows. The planner never reads them, yet
 * writes keep maintaining them. One still being built is also invalid until its build ends: it is left
 * alone. Dropping an index nothing reads changes no plan, so the suite may apply it by itself; the rollback
 * builds it again from its definition (which fails again until the cause, e.g. the duplicates, is fixed).
 * Supabase's linter does not report these.
 */
export function findInvalidIndexes(indexes: IndexRow[]): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  for (const index of indexes) {
    if (index.valid) continue;
    const subject = indexSubject(index);
    if (index.buildInProgress) {
      rejected.push({ rule, subject, reason: "invalid because a create index is building it right now" });
      continue;
    }
    findings.push(createFinding({
      rule,
      system: "db",
      subject,
      severity: "warning",
      title: `Index ${index.schema}.${index.name} is invalid (a failed concurrent build)`,
      detail: `${
        describeIndex(index)
      } is marked invalid (pg_index.indisvalid = false), as a failed create index concurrently leaves it: queries never use it, but writes still maintain it. Drop it; to have the index, fix what made the build fail (for a unique index, duplicate rows) and build it again.`,
      evidence: {
        series: ["pg_index.indisvalid", "pg_stat_progress_create_index"],
        windows: [],
        statistic: { name: "indisvalid", value: false },
      },
      gain: indexSpaceGain(index),
      action: dropIndexAction(index),
      autoApplicable: true,
    }));
  }
  return { findings, rejected };
}
