import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import { DAY_MS } from "../time.ts";
import type { DbHealthOptions } from "./db_health_options.ts";
import { type HealthCatalog, type RuleOutcome, statsWindow } from "./health_catalog.ts";
import { describeIndex, dropIndexAction, indexSpaceGain, indexSubject } from "./index_actions.ts";

const rule = "index.unused";

/**
 * Indexes no scan has used while the statistics counted (pg_stat_user_indexes.idx_scan = 0), when those
 * statistics cover at least `minUnusedDays`: a report job that runs weekly must have had its chance. Indexes
 * that enforce something (primary key, unique, exclusion or other constraint) are never reported: dropping
 * them changes what the table accepts. Invalid indexes are index.invalid's.
 *
 * The statistics window is the database's (statsSince), not the index's own: an index created inside the
 * window has had less time. The analyzer states that limit in its notes.
 */
export function findUnusedIndexes(
  catalog: HealthCatalog,
  options: Pick<DbHealthOptions, "minUnusedDays">,
): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const window = statsWindow(catalog);
  const days = catalog.statsSince === null
    ? null
    : (catalog.takenAt.getTime() - catalog.statsSince.getTime()) / DAY_MS;

  for (const index of catalog.indexes) {
    // used, or not valid (index.invalid): nothing to explain here
    if (index.scans > 0 || !index.valid) continue;
    const subject = indexSubject(index);
    const reject = (reason: string) => rejected.push({ rule, subject, reason });

    // an index that enforces something is kept whatever its use
    if (index.primary) {
      reject("idx_scan is 0, but it is the primary key: it enforces the key and is never reported unused");
    } else if (index.constraintName !== null) {
      reject(`idx_scan is 0, but it backs constraint ${index.constraintName}: never reported unused`);
    } else if (index.unique) {
      reject("idx_scan is 0, but it is unique: it enforces uniqueness and is never reported unused");
    } // the statistics must cover long enough to trust a zero
    else if (days === null) {
      reject(
        "idx_scan is 0, but how long the statistics have counted is unknown (pg_stat_database.stats_reset is null and there is no snapshot): wait for the snapshots to cover minUnusedDays",
      );
    } else if (days < options.minUnusedDays) {
      reject(
        `idx_scan is 0, but the statistics cover only ${
          days.toFixed(1)
        } days (since ${window.from}), below minUnusedDays ${options.minUnusedDays}`,
      );
    } else {
      findings.push(createFinding({
        rule,
        system: "db",
        subject,
        severity: "info",
        title: `Index ${index.schema}.${index.name} was not used in ${Math.floor(days)} days`,
        detail: `${describeIndex(index)} had no index scan since ${window.from} (${
          days.toFixed(1)
        } days, ${catalog.statsSinceSource}), yet every write to ${index.schema}.${index.table} maintains it. Drop it unless a rare job needs it; the rollback recreates it.`,
        evidence: {
          series: [
            "pg_stat_user_indexes.idx_scan",
            catalog.statsSinceSource ?? "pg_stat_database.stats_reset",
          ],
          windows: [window],
          statistic: { name: "idx_scan", value: 0 },
        },
        gain: indexSpaceGain(index),
        action: dropIndexAction(index),
        autoApplicable: false,
      }));
    }
  }
  return { findings, rejected };
}
