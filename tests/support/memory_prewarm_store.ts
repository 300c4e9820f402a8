import type { PrewarmInput, PrewarmStore } from "../../shared/mod.ts";

/**
 * An in-memory PrewarmStore for in-process tests: readInput() answers `input` (made at the run's `now`), with
 * the run's statement forecasts and the tables `tables` gives each (none: not explained); loads are recorded in
 * `calls` and read the planned blocks, or fail with `failLoad`'s message for that relation; `failRead` makes
 * readInput() fail with that message.
 */
export function memoryPrewarmStore(
  input: (now: Date) => Partial<PrewarmInput> = () => ({}),
  options: {
    failLoad?: (relation: string) => string | null;
    failRead?: string;
    tables?: Record<string, string[]>;
  } = {},
) {
  const calls: string[] = [];
  const store: PrewarmStore = {
    readInput: (now, dips, statements) => {
      if (options.failRead) return Promise.reject(new Error(options.failRead));
      const given = input(now);
      const recurring = [...(given.recurring ?? [])];
      return Promise.resolve({
        report: {
          intervals: recurring.length === 0 ? 0 : 100,
          lowest: null,
          dips: recurring.flatMap((s) => s.dips),
          recurring,
          reason: recurring.length === 0 ? "no snapshot interval with at least minBlocks 1000 blocks" : null,
        },
        input: {
          now,
          recurring,
          readsBySlot: new Map(),
          relations: new Map(),
          sharedBufferBlocks: 16_384,
          readMsPerBlock: null,
          alreadyLoaded: new Set(),
          slotMinutes: dips.slotMinutes,
          statements: statements.map((s) => ({ ...s, tables: options.tables?.[s.queryid] ?? null })),
          ...given,
        },
      });
    },
    load: (runId, planned) => {
      const failure = options.failLoad?.(planned.relation) ?? null;
      if (failure) return Promise.reject(new Error(failure));
      calls.push(`load ${runId} ${planned.relation} ${planned.slotStartsAt.toISOString()}`);
      return Promise.resolve({ id: "1", blocksLoaded: planned.blocks });
    },
    settle: () => {
      calls.push("settle");
      return Promise.resolve([]);
    },
  };
  return { store, calls };
}

/** A slot that dipped at 12:15 UTC on two of three days, read from disk by public.robot_messages. */
export function dipAt1215(): Partial<PrewarmInput> {
  const dip = (day: string) => ({
    from: new Date(`${day}T12:15:00Z`),
    to: new Date(`${day}T12:20:00Z`),
    hitRatio: 0.7,
    blocksRead: 5000,
    slot: "12:15",
  });
  return {
    recurring: [{
      slot: "12:15",
      dipDays: ["2026-11-26", "2026-11-27"],
      observedDays: 3,
      dips: [dip("2026-11-26"), dip("2026-11-27")],
    }],
    readsBySlot: new Map([["12:15", [
      { relation: "public.robot_messages", blocksRead: 3000 },
      { relation: "public.robots", blocksRead: 800 },
    ]]]),
    relations: new Map([
      ["public.robot_messages", { relation: "public.robot_messages", blocks: 2500, residentBlocks: 10 }],
      ["public.robots", { relation: "public.robots", blocks: 600, residentBlocks: 590 }],
    ]),
    readMsPerBlock: 0.2,
  };
}
