import { createFinding, estimatedGain, type Finding } from "../finding/finding.ts";
import { DAY_MS } from "../time.ts";
import type { PlannedPrewarm } from "./plan_prewarm.ts";

/**
 * A buffer load as a Finding: what the predictive run reports for each load it made, and what a system-wide
 * run weighs and reports for each load it plans. Its gain is an estimate with its model: milliseconds when
 * Postgres times block reads (track_io_timing), else disk blocks.
 */

/** The rule of buffer loads. */
export const prewarmRule = "predictive.buffer-prewarm";

/** What a load is about: the table and the slot, `table:public.orders@07:30`. */
export function prewarmSubject(planned: Pick<PlannedPrewarm, "relation" | "slot">): string {
  return `table:${planned.relation}@${planned.slot}`;
}

/**
 * Pure: the Finding of `planned`, with `blocksLoaded` blocks (planned.blocks before the load), found at `now`
 * from the dips of the last `recurrenceDays` days.
 */
export function prewarmFinding(
  planned: PlannedPrewarm,
  blocksLoaded: number,
  now: Date,
  recurrenceDays: number,
): Finding {
  const model =
    `blocks the table read from disk in the ${planned.slot} UTC slot's dips, averaged over their ` +
    `${planned.dipDays} day(s) and capped at the blocks loaded` +
    (planned.expectedSavedMs === null ? "" : ", times the measured read time per block");
  return createFinding({
    rule: prewarmRule,
    system: "db",
    subject: prewarmSubject(planned),
    severity: "info",
    title: `Loaded ${planned.relation} into shared buffers ahead of the ${planned.slot} UTC dips`,
    detail:
      `${blocksLoaded} blocks of ${planned.relation} and its indexes loaded with pg_prewarm before the slot ` +
      `starting ${planned.slotStartsAt.toISOString()}: ${planned.reason}.`,
    evidence: {
      series: ["optimizer.db_snapshots(blks_hit, blks_read)", "optimizer.table_deltas"],
      windows: [{
        from: new Date(now.getTime() - recurrenceDays * DAY_MS).toISOString(),
        to: now.toISOString(),
      }],
      statistic: {
        name: "blocks read from disk per day in the slot's dips",
        value: planned.expectedBlocksAvoided,
        unit: "blocks",
      },
    },
    gain: planned.expectedSavedMs === null
      ? estimatedGain(planned.expectedBlocksAvoided, "disk blocks", model)
      : estimatedGain(planned.expectedSavedMs, "ms", model),
    action: {
      kind: "sql",
      sql: `select optimizer.prewarm_table(to_regclass('${planned.relation.replaceAll("'", "''")}'))`,
      rollback: "-- nothing to undo: loaded blocks are evicted from shared buffers like any others",
    },
    autoApplicable: true,
  });
}
