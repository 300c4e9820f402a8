import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import type { DbHealthOptions } from "./db_health_options.ts";
import { type HealthCatalog, type RuleOutcome, statsWindow } from "./health_catalog.ts";
import { percent } from "../correlate/statistics.ts";

const rule = "db.cache-hit-ratio";

/**
 * The share of table blocks, and of index blocks, found in shared buffers rather than read from the OS
 * (pg_statio_user_tables / pg_statio_user_indexes, summed over the tables looked at, since the statistics
 * were reset), against `minCacheHitRate` (config.alerts). A ratio over fewer than minCacheBlocks blocks is
 * not judged. A read the OS page cache serves also counts as a miss here, so the ratio is a lower bound of
 * what the disk sees.
 */
export function findLowCacheHitRatio(
  catalog: Pick<HealthCatalog, "cache" | "statsSince" | "takenAt">,
  options: Pick<DbHealthOptions, "minCacheBlocks"> & { minCacheHitRate: number },
): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const window = statsWindow(catalog);
  const parts = [
    {
      kind: "tables",
      hit: catalog.cache.heapHit,
      read: catalog.cache.heapRead,
      view: "pg_statio_user_tables",
    },
    {
      kind: "indexes",
      hit: catalog.cache.indexHit,
      read: catalog.cache.indexRead,
      view: "pg_statio_user_indexes",
    },
  ];
  for (const { kind, hit, read, view } of parts) {
    const subject = `cache-hit-ratio:${kind}`;
    const blocks = hit + read;
    if (blocks < options.minCacheBlocks) {
      rejected.push({
        rule,
        subject,
        reason:
          `only ${blocks} ${kind} blocks were accessed since ${window.from}, below minCacheBlocks ${options.minCacheBlocks}`,
      });
      continue;
    }
    const ratio = hit / blocks;
    const shown = percent(ratio, 2);
    if (ratio >= options.minCacheHitRate) {
      rejected.push({
        rule,
        subject,
        reason: `hit ratio ${shown} is at or above minCacheHitRate ${options.minCacheHitRate}`,
      });
      continue;
    }
    findings.push(createFinding({
      rule,
      system: "db",
      subject,
      severity: "warning",
      title: `Buffer cache hit ratio of ${kind} is ${shown}, below ${options.minCacheHitRate * 100} %`,
      detail:
        `${hit} of ${blocks} ${kind} blocks accessed since ${window.from} were in shared buffers (${view}): the working set does not fit. Add the indexes that let queries read fewer blocks, or move to a larger compute size (more memory).`,
      evidence: { series: [view], windows: [window], statistic: { name: "hit ratio", value: ratio } },
      gain: null,
      action: {
        kind: "guidance",
        text:
          "find the statements reading the most blocks (pg_stat_statements.shared_blks_read) and index them, or move to a larger compute size",
      },
      autoApplicable: false,
    }));
  }
  return { findings, rejected };
}
