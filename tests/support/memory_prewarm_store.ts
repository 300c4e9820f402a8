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
