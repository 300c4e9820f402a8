import { createFinding, type Finding, type Window } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../time.ts";
import type { RecommendationsConfig } from "../config/config.ts";
import type { HealthCatalog, IndexRow, RuleOutcome } from "./health_catalog.ts";
import { describeIndex, dropIndexAction, indexSpaceGain, indexSubject } from "./index_actions.ts";

const rule = "index.unused";

/** Since when an index has had no scan, and on what that rests; or why that cannot be told. */
type Idle = { since: Date; source: string } | { unknown: string };

/**
 * Since when `index` has had no scan, or null when it was scanned since the suite last looked. Where the
 * suite notes index usage (optimizer.index_usage), that is since its scan count last changed, which also
 * bounds the index's own age; elsewhere it is since the statistics began counting, provided idx_scan is 0,
 * and an index created later has had less time than that says.
 */
function idleSince(index: IndexRow, catalog: HealthCatalog): Idle | null {
  if (catalog.indexUsageTracked) {
    if (index.usage === null) {
      return index.scans > 0 ? null : {
        unknown:
          "optimizer.observe_index_usage has not seen it yet: it was created within the last few minutes, or the optimizer-index-usage job does not run",
      };
    }
    if (index.scans !== index.usage.scans) return null;
    return { since: new Date(index.usage.scansChangedAt), source: "optimizer.index_usage" };
  }
  if (index.scans > 0) return null;
  if (catalog.statsSince === null) {
    return {
      unknown:
        "how long the statistics have counted is unknown (pg_stat_database.stats_reset is null and there is no snapshot)",
    };
  }
  return { since: catalog.statsSince, source: catalog.statsSinceSource ?? "pg_stat_database.stats_reset" };
}

/** A span of idle time in the unit that reads best: `30 days`, `5.5 hours`, `1.2 minutes`. */
function spanText(ms: number): string {
  const [unit, size] = ms >= 2 * DAY_MS
    ? ["days", DAY_MS] as const
    : ms >= 2 * HOUR_MS
    ? ["hours", HOUR_MS] as const
    : ["minutes", MINUTE_MS] as const;
  const value = ms / size;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

/**
 * Indexes no scan has used for at least the config's `recommendations.unusedIndexMinDays` (idleSince): a
 * report job that runs weekly must have had its chance. Indexes that enforce something (primary key, unique,
 * exclusion or other constraint) are never reported: dropping them changes what the table accepts. Invalid
 * indexes are index.invalid's.
 */
export function findUnusedIndexes(
  catalog: HealthCatalog,
  config: Pick<RecommendationsConfig, "unusedIndexMinDays">,
): RuleOutcome {
  const minDays = config.unusedIndexMinDays;
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const now = catalog.takenAt;

  for (const index of catalog.indexes) {
    if (!index.valid) continue;
    const idle = idleSince(index, catalog);
    if (idle === null) continue;
    const days = "since" in idle ? (now.getTime() - idle.since.getTime()) / DAY_MS : null;
    // scanned before, just not lately: in use, nothing to explain
    if (index.scans > 0 && days !== null && days < minDays) continue;
    const subject = indexSubject(index);
    const reject = (reason: string) => rejected.push({ rule, subject, reason });

    // an index that enforces something is kept whatever its use
    const enforces = index.primary
      ? "it is the primary key"
      : index.constraintName !== null
      ? `it backs constraint ${index.constraintName}`
      : index.unique
      ? "it is unique"
      : null;
    if (enforces !== null) {
      reject(`no scan, but ${enforces}: it enforces what the table accepts and is never reported unused`);
      continue;
    }
    if ("unknown" in idle) {
      reject(`idx_scan is 0, but for how long cannot be told: ${idle.unknown}`);
      continue;
    }
    const window: Window = { from: idle.since.toISOString(), to: now.toISOString() };
    const span = `${(days ?? 0).toFixed(1)} days since ${window.from} (${idle.source})`;
    if ((days ?? 0) < minDays) {
      reject(`no scan in the ${span}, below recommendations.unusedIndexMinDays ${minDays}`);
      continue;
    }
    const idleText = spanText(now.getTime() - idle.since.getTime());
    const counted = index.scans > 0 ? ` (idx_scan has stayed at ${index.scans})` : "";
    findings.push(createFinding({
      rule,
      system: "db",
      subject,
      severity: "info",
      title: `Index ${index.schema}.${index.name} was not used in ${idleText}`,
      detail: `${
        describeIndex(index)
      } had no index scan in the ${idleText} since ${window.from} (${idle.source})${counted}, yet every write to ${index.schema}.${index.table} maintains it. Drop it unless a rare job needs it; the rollback recreates it.`,
      evidence: {
        series: ["pg_stat_user_indexes.idx_scan", idle.source],
        windows: [window],
        statistic: { name: "index scans in window", value: 0 },
      },
      gain: indexSpaceGain(index),
      action: dropIndexAction(index),
      autoApplicable: false,
    }));
  }
  return { findings, rejected };
}
