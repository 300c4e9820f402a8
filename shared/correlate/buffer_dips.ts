import { DAY_MS, MINUTE_MS } from "../time.ts";
import { percent } from "./statistics.ts";

/**
 * Buffer-cache hit ratio dips at predictable times, from the database snapshots (optimizer.db_snapshots,
 * every intervals.snapshotMinutes): the ratio blks_hit / (blks_hit + blks_read) of each interval between
 * consecutive snapshots, the intervals below a floor, and the times of day (UTC slots) at which such dips
 * recur on several days. The recurring slots are what the predictive module can warm ahead of.
 */

/** One database snapshot's cumulative counters (a row of optimizer.db_snapshots). */
export interface DbSnapshotPoint {
  /** When it was taken. */
  takenAt: Date;
  /** pg_stat_database.blks_hit so far. */
  blksHit: number;
  /** pg_stat_database.blks_read so far. */
  blksRead: number;
  /** pg_stat_database.stats_reset: a change between two snapshots makes their delta meaningless. */
  dbStatsReset: Date | null;
  /** Client backends at that moment. */
  connectionsTotal: number;
  /** max_connections at that moment. */
  maxConnections: number;
}

/** One interval between consecutive snapshots whose hit ratio was below the floor. */
export interface BufferDip {
  /** The earlier snapshot's time. */
  from: Date;
  /** The later snapshot's time. */
  to: Date;
  /** Hit ratio over the interval. */
  hitRatio: number;
  /** Blocks read from outside shared buffers over the interval. */
  blocksRead: number;
  /** The UTC time of day the interval ends in, rounded down to the slot: `07:30`. */
  slot: string;
}

/** A time of day at which dips recur. */
export interface RecurringSlot {
  /** UTC time of day, `hh:mm`, start of a slot of slotMinutes. */
  slot: string;
  /** UTC days (YYYY-MM-DD) with a dip in the slot. */
  dipDays: string[];
  /** UTC days with any snapshot interval in the slot. */
  observedDays: number;
  /** The dips in the slot. */
  dips: BufferDip[];
}

/** Thresholds of findBufferDips(). */
export interface BufferDipOptions {
  /** Intervals whose hit ratio is below this dip (e.g. 0.99). */
  minBufferHitRatio: number;
  /** Blocks (hit + read) an interval needs before its ratio is judged. */
  minBlocks: number;
  /** Length of a time-of-day slot in minutes. */
  slotMinutes: number;
  /** Distinct days a slot needs dips on to count as predictable. */
  minRecurrenceDays: number;
}

/** What findBufferDips() found, with the reason when nothing recurs. */
export interface BufferDipReport {
  /** Intervals judged (enough blocks, no reset). */
  intervals: number;
  /** The lowest hit ratio seen; null without intervals. */
  lowest: number | null;
  /** All dips. */
  dips: BufferDip[];
  /** Slots with dips on at least minRecurrenceDays days, earliest slot first. */
  recurring: RecurringSlot[];
  /** Why nothing recurs; null when something does. */
  reason: string | null;
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

function slotOf(at: Date, slotMinutes: number): string {
  const minuteOfDay = Math.floor((at.getTime() % DAY_MS) / MINUTE_MS);
  const start = Math.floor(minuteOfDay / slotMinutes) * slotMinutes;
  return `${String(Math.floor(start / 60)).padStart(2, "0")}:${String(start % 60).padStart(2, "0")}`;
}

/** The dips of `snapshots` (any order) and the slots where they recur. */
export function findBufferDips(
  snapshots: readonly DbSnapshotPoint[],
  options: BufferDipOptions,
): BufferDipReport {
  const sorted = [...snapshots].sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime());
  // 1. the hit ratio of each interval between consecutive snapshots, skipping resets and quiet intervals
  const dips: BufferDip[] = [];
  const observed = new Map<string, Set<string>>();
  let intervals = 0;
  let lowest: number | null = null;
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    const hit = b.blksHit - a.blksHit;
    const read = b.blksRead - a.blksRead;
    const reset = a.dbStatsReset?.getTime() !== b.dbStatsReset?.getTime() || hit < 0 || read < 0;
    if (reset || hit + read < options.minBlocks) continue;
    intervals++;
    const ratio = hit / (hit + read);
    lowest = lowest === null ? ratio : Math.min(lowest, ratio);
    const slot = slotOf(b.takenAt, options.slotMinutes);
    observed.set(slot, (observed.get(slot) ?? new Set()).add(dayOf(b.takenAt)));
    // 2. the intervals below the floor
    if (ratio < options.minBufferHitRatio) {
      dips.push({ from: a.takenAt, to: b.takenAt, hitRatio: ratio, blocksRead: read, slot });
    }
  }
  const report = (recurring: RecurringSlot[], reason: string | null): BufferDipReport => ({
    intervals,
    lowest,
    dips,
    recurring,
    reason,
  });
  if (intervals === 0) {
    return report(
      [],
      `no snapshot interval with at least minBlocks ${options.minBlocks} blocks and no reset`,
    );
  }
  if (dips.length === 0) {
    return report(
      [],
      `no interval of ${intervals} fell below minBufferHitRatio ${percent(options.minBufferHitRatio, 2)} ` +
        `(lowest ${percent(lowest!, 2)})`,
    );
  }
  // 3. the slots whose dips fall on several days
  const bySlot = new Map<string, BufferDip[]>();
  for (const dip of dips) bySlot.set(dip.slot, [...(bySlot.get(dip.slot) ?? []), dip]);
  const slots = [...bySlot.entries()].map(([slot, slotDips]) => ({
    slot,
    dipDays: [...new Set(slotDips.map((d) => dayOf(d.to)))].sort(),
    observedDays: observed.get(slot)?.size ?? 0,
    dips: slotDips,
  })).sort((a, b) => a.slot.localeCompare(b.slot));
  const recurring = slots.filter((s) => s.dipDays.length >= options.minRecurrenceDays);
  if (recurring.length === 0) {
    return report(
      [],
      `${dips.length} dips, but no ${options.slotMinutes}-minute slot has them on minRecurrenceDays ` +
        `${options.minRecurrenceDays} days (${
          slots.map((s) => `${s.slot}: ${s.dipDays.length} day(s)`).join(", ")
        })`,
    );
  }
  return report(recurring, null);
}
