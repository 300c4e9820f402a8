import { resolveOptions } from "../analyze/options.ts";
import type { RecurringSlot } from "../correlate/buffer_dips.ts";
import {
  rise,
  type SlotStatement,
  slotStatements,
  type SpikeOptions,
  type StatementOutlook,
} from "./statement_spikes.ts";
import { percent } from "../correlate/statistics.ts";
import { DAY_MS, MINUTE_MS } from "../time.ts";

/**
 * Database buffer warming: which tables (with their indexes) to load into shared buffers with pg_prewarm
 * before a time of day at which the buffer-cache hit ratio dipped on several past days (findBufferDips()),
 * when the statements that read them are forecast to spike again then. The blocks the slot's dips read from
 * disk are what loading beforehand saves.
 *
 * 1. slots: the recurring slots whose next start falls within `lookaheadMinutes` (the run after this one
 *    would be too late for them);
 * 2. demand: the statements forecast through the slot's coming occurrence (slotStatements()); when some are
 *    and none spikes, the slot is left alone: the dip recurred, but its demand is not forecast to. When none
 *    of the run's statement forecasts reaches the slot, or no spiking statement could be explained, the
 *    recurrence alone decides, and the plan says so;
 * 3. relations: the tables the slot's dips read from disk that a spiking statement's generic plan reads, the
 *    most read first, at most `maxRelationsPerSlot`;
 * 4. residency: a table whose blocks are already mostly in shared buffers (`residentRatio`, from
 *    pg_buffercache) is left alone; without pg_buffercache residency is unknown and the table is loaded;
 * 5. repeats: a table already loaded for this occurrence of the slot (an earlier run) is not loaded again;
 * 6. budget: the blocks loaded stay within `maxBufferShare` of shared_buffers, the most read first;
 * 7. effect: the blocks expected to be served from memory instead of disk (the slot's mean reads per dip
 *    day, at most the blocks loaded), and the milliseconds when the read time per block is measured
 *    (track_io_timing).
 * Every table left out carries its reason.
 */

/** Bounds of the plan. */
export interface PrewarmOptions extends SpikeOptions {
  /** How far ahead a slot's start may be for this run to warm it: the run interval plus a margin. */
  lookaheadMinutes: number;
  /** Tables loaded per slot at most, the most read first. */
  maxRelationsPerSlot: number;
  /** A table with at least this share of its blocks in shared buffers is resident: not loaded. */
  residentRatio: number;
  /** Share of shared_buffers one run may fill, so that warming does not evict what the rest of the app reads. */
  maxBufferShare: number;
}

/**
 * Defaults: slots starting in the next 20 minutes, 5 tables each, 90 % resident is enough, a quarter of
 * shared_buffers; a statement spikes at twice its recent calls per minute, and at least one a minute.
 */
export const prewarmDefaults: PrewarmOptions = {
  lookaheadMinutes: 20,
  maxRelationsPerSlot: 5,
  residentRatio: 0.9,
  maxBufferShare: 0.25,
  minSpikeRatio: 2,
  minCallsPerMinute: 1,
};

const bounds = {
  lookaheadMinutes: { min: 1, max: 2 * 24 * 60, integer: true },
  minSpikeRatio: { min: 1, max: 1000 },
  minCallsPerMinute: { min: 0, max: 1_000_000 },
  maxRelationsPerSlot: { min: 1, max: 100, integer: true },
  residentRatio: { min: 0, max: 1 },
  maxBufferShare: { min: 0, max: 1 },
};

/** A table as Postgres has it now. */
export interface RelationState {
  /** `schema.table`. */
  relation: string;
  /** Blocks of the table and its indexes. */
  blocks: number;
  /** Of those, blocks in shared buffers now; null without pg_buffercache. */
  residentBlocks: number | null;
}

/** What the plan reads. */
export interface PrewarmInput {
  /** When the plan is made. */
  now: Date;
  /** The recurring dip slots (findBufferDips().recurring). */
  recurring: readonly RecurringSlot[];
  /** Length of a slot in minutes (the dips' slotMinutes). */
  slotMinutes: number;
  /**
   * The statements this run forecast, each with the tables (`schema.table`) its generic plan reads; null when
   * it could not be explained. Empty when no statement was forecast.
   */
  statements: readonly StatementTables[];
  /** Per slot (`hh:mm`): blocks each table read from disk in the slot's dips, summed over those dips. */
  readsBySlot: ReadonlyMap<string, readonly { relation: string; blocksRead: number }[]>;
  /** The tables read in those slots, by `schema.table`; a table missing here no longer exists. */
  relations: ReadonlyMap<string, RelationState>;
  /** shared_buffers in blocks. */
  sharedBufferBlocks: number;
  /** Measured time to read one block from outside shared buffers; null when track_io_timing is off. */
  readMsPerBlock: number | null;
  /** `slot start ISO|relation` of the loads already done for a coming slot occurrence. */
  alreadyLoaded: ReadonlySet<string>;
}

/** A statement's forecast and the tables its generic plan reads (null: it could not be explained). */
export interface StatementTables extends StatementOutlook {
  /** `schema.table`, as the dips' reads name them. */
  tables: readonly string[] | null;
}

/** One load to do. */
export interface PlannedPrewarm {
  /** The slot, `hh:mm` UTC. */
  slot: string;
  /** When this occurrence of the slot starts. */
  slotStartsAt: Date;
  /** The table, `schema.table`. */
  relation: string;
  /** Blocks of the table and its indexes (what pg_prewarm reads). */
  blocks: number;
  /** Days of the slot's dips the effect is averaged over. */
  dipDays: number;
  /** Blocks expected to be read from memory instead of disk in the slot. */
  expectedBlocksAvoided: number;
  /** expectedBlocksAvoided × the measured read time per block; null when that time is not measured. */
  expectedSavedMs: number | null;
  /** Why, with the figures. */
  reason: string;
}

/** A table not loaded, and why. */
export interface PrewarmRejection {
  /** The slot, `hh:mm` UTC. */
  slot: string;
  /** The table, `schema.table`. */
  relation: string;
  /** Why it is not loaded, with the figures. */
  reason: string;
}

/** The plan. */
export interface PrewarmPlan {
  /** The loads, the most disk reads avoided first. */
  planned: PlannedPrewarm[];
  /** The tables left out. */
  rejected: PrewarmRejection[];
  /** Why nothing is planned; null when something is. */
  reason: string | null;
}

/** Resolves `input` over prewarmDefaults; throws a RangeError naming a bad option. */
export function resolvePrewarmOptions(input: Partial<PrewarmOptions> = {}): PrewarmOptions {
  return resolveOptions(prewarmDefaults, bounds, input);
}

/** Pure: the loads to do now (see the top of this file). */
export function planPrewarm(input: PrewarmInput, options: Partial<PrewarmOptions> = {}): PrewarmPlan {
  const o = resolvePrewarmOptions(options);
  const rejected: PrewarmRejection[] = [];
  // 1. slots starting within the lookahead
  const due = input.recurring
    .map((slot) => ({ slot, startsAt: nextStart(slot.slot, input.now) }))
    .filter(({ startsAt }) => startsAt.getTime() - input.now.getTime() <= o.lookaheadMinutes * MINUTE_MS);
  if (due.length === 0) {
    return {
      planned: [],
      rejected,
      reason: input.recurring.length === 0
        ? "no time of day with recurring buffer-cache dips"
        : `no dip slot starts within lookaheadMinutes ${o.lookaheadMinutes} (slots: ${
          input.recurring.map((s) => s.slot).join(", ")
        } UTC)`,
    };
  }
  const candidates: PlannedPrewarm[] = [];
  for (const { slot, startsAt } of due) {
    // 2. demand: what the statement forecasts say of this occurrence
    const demand = slotDemand(input.statements, startsAt, input.slotMinutes, o);
    const reads = [...(input.readsBySlot.get(slot.slot) ?? [])].sort((a, b) => b.blocksRead - a.blocksRead);
    let rank = 0;
    for (const read of reads) {
      const reject = (reason: string) => rejected.push({ slot: slot.slot, relation: read.relation, reason });
      if (demand.quiet !== null) {
        reject(demand.quiet);
        continue;
      }
      // 3. the tables read by a spiking statement, the most read in the dips first
      if (demand.tables !== null && !demand.tables.has(read.relation)) {
        reject(`read by none of the ${demand.spiking} statement(s) forecast to spike over the slot`);
        continue;
      }
      if (++rank > o.maxRelationsPerSlot) {
        reject(
          `ranked ${rank} by blocks read in the slot: beyond maxRelationsPerSlot ${o.maxRelationsPerSlot}`,
        );
        continue;
      }
      const state = input.relations.get(read.relation);
      if (!state) {
        reject("the table no longer exists");
        continue;
      }
      // 4. residency
      if (state.residentBlocks !== null && state.residentBlocks >= o.residentRatio * state.blocks) {
        reject(
          `already resident: ${state.residentBlocks} of ${state.blocks} blocks in shared buffers ` +
            `(residentRatio ${percent(o.residentRatio)})`,
        );
        continue;
      }
      // 5. loaded by an earlier run for this occurrence
      if (input.alreadyLoaded.has(loadKey(startsAt, read.relation))) {
        reject(`already loaded for the slot starting ${startsAt.toISOString()}`);
        continue;
      }
      const dipDays = slot.dipDays.length;
      const expectedBlocksAvoided = Math.min(Math.round(read.blocksRead / dipDays), state.blocks);
      const expectedSavedMs = input.readMsPerBlock === null
        ? null
        : round(expectedBlocksAvoided * input.readMsPerBlock);
      candidates.push({
        slot: slot.slot,
        slotStartsAt: startsAt,
        relation: read.relation,
        blocks: state.blocks,
        dipDays,
        expectedBlocksAvoided,
        expectedSavedMs,
        reason:
          `the buffer-cache hit ratio dipped at ${slot.slot} UTC on ${dipDays} of ${slot.observedDays} ` +
          `day(s) (lowest ${
            percent(Math.min(...slot.dips.map((d) => d.hitRatio)), 2)
          }), and ${read.relation} ` +
          `read ${read.blocksRead} blocks from disk in those dips: about ${expectedBlocksAvoided} per day` +
          (expectedSavedMs === null
            ? " (read time per block not measured: track_io_timing is off)"
            : `, ${expectedSavedMs} ms at the measured ${input.readMsPerBlock} ms per block`) +
          (state.residentBlocks === null
            ? "; residency unknown without pg_buffercache"
            : `; ${state.residentBlocks} of its ${state.blocks} blocks are in shared buffers now`) +
          demand.note(read.relation),
      });
    }
  }
  // 6. within the budget, the most blocks avoided first
  const budget = Math.floor(o.maxBufferShare * input.sharedBufferBlocks);
  const planned: PlannedPrewarm[] = [];
  let used = 0;
  for (const candidate of candidates.sort((a, b) => b.expectedBlocksAvoided - a.expectedBlocksAvoided)) {
    if (used + candidate.blocks > budget) {
      rejected.push({
        slot: candidate.slot,
        relation: candidate.relation,
        reason: `its ${candidate.blocks} blocks would exceed maxBufferShare ${
          percent(o.maxBufferShare)
        } of shared_buffers (${budget} blocks, ${used} already planned)`,
      });
      continue;
    }
    used += candidate.blocks;
    planned.push(candidate);
  }
  return {
    planned,
    rejected,
    reason: planned.length === 0 ? "every table of the coming dip slots was left out (see rejected)" : null,
  };
}

/** What the statement forecasts say of one occurrence of a slot. */
interface SlotDemand {
  /** Why the slot is left alone (statements are forecast through it and none spikes); null otherwise. */
  quiet: string | null;
  /** The tables the spiking statements read; null when the recurrence alone decides. */
  tables: ReadonlySet<string> | null;
  /** Spiking statements whose tables are known. */
  spiking: number;
  /** What a load's reason adds: the statement behind it, or why the recurrence alone decided. */
  note(relation: string): string;
}

function slotDemand(
  statements: readonly StatementTables[],
  startsAt: Date,
  slotMinutes: number,
  o: SpikeOptions,
): SlotDemand {
  const judged = slotStatements(
    statements,
    startsAt.getTime(),
    startsAt.getTime() + slotMinutes * MINUTE_MS,
    o,
  );
  const byRecurrence = (why: string): SlotDemand => ({
    quiet: null,
    tables: null,
    spiking: 0,
    note: () => `; ${why}: loaded on the recurrence alone`,
  });
  if (judged.length === 0) return byRecurrence("no statement forecast of this run reaches the slot");
  const spiking = judged.filter((s) => s.spiking);
  if (spiking.length === 0) {
    return {
      quiet:
        `no statement is forecast to spike over the slot: of the ${judged.length} forecast through it, the ` +
        `steepest rise is statement ${judged[0].queryid}'s, ${figures(judged[0])}, below minSpikeRatio ` +
        `${o.minSpikeRatio} or minCallsPerMinute ${o.minCallsPerMinute}`,
      tables: null,
      spiking: 0,
      note: () => "",
    };
  }
  const tablesOf = new Map(statements.map((s) => [s.queryid, s.tables]));
  const explained = spiking.filter((s) => tablesOf.get(s.queryid) != null);
  if (explained.length === 0) {
    return byRecurrence(
      `the ${spiking.length} statement(s) forecast to spike over the slot could not be explained`,
    );
  }
  const readers = (relation: string) => explained.filter((s) => tablesOf.get(s.queryid)!.includes(relation));
  return {
    quiet: null,
    tables: new Set(explained.flatMap((s) => tablesOf.get(s.queryid)!)),
    spiking: explained.length,
    note: (relation) => {
      const [top, ...more] = readers(relation);
      return `; statement ${top.queryid} reads it and is forecast at ${figures(top)}` +
        (more.length > 0 ? ` (${more.length} more spiking statement(s) read it)` : "");
    },
  };
}

/** `12.5 calls a minute over the slot against 3.1 lately (4×)`. */
function figures(s: SlotStatement): string {
  const r = rise(s);
  const times = r === Infinity ? "from none" : `${round(r)}×`;
  return `${round(s.forecastPerMinute)} calls a minute over the slot against ${
    round(s.recentPerMinute)
  } lately (${times})`;
}

/** The key of a load in PrewarmInput.alreadyLoaded. */
export function loadKey(slotStartsAt: Date, relation: string): string {
  return `${slotStartsAt.toISOString()}|${relation}`;
}

/** The next start of the UTC time of day `hh:mm` at or after `now`. */
function nextStart(slot: string, now: Date): Date {
  const [hours, minutes] = slot.split(":").map(Number);
  const dayStart = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const today = dayStart + (hours * 60 + minutes) * MINUTE_MS;
  return new Date(today >= now.getTime() ? today : today + DAY_MS);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
