/**
 * Candidates of system-wide runs for the planner's and the executor's tests: an index build as the advisor
 * reports it, a drop as the health rules do, a config patch, each with the facts the store would read, and a
 * buffer load as the predictive module plans it.
 */
import {
  type CandidateFacts,
  estimatedGain,
  type PlannedPrewarm,
  prewarmCandidate,
  type SystemCandidate,
  toCandidate,
} from "../../shared/mod.ts";
import { testFinding } from "./findings.ts";

const window = { from: "2026-11-29T00:00:00Z", to: "2026-11-30T00:00:00Z" };
const MB = 1024 * 1024;

/** Facts of a table of 10 MB with 3 indexes, a workload of 100 s of database time, a 2 MB index. */
export const defaultFacts: CandidateFacts = {
  workloadMs: 100_000,
  table: { name: "public.robots", indexes: 3, bytes: 10 * MB },
  indexBytes: 2 * MB,
};

/**
 * An `index.suggest` build on public.robots (`keys`) that saves `savingMs` over the window and `netMs` once its
 * write penalty is paid.
 */
export function buildCandidate(
  id: string,
  keys: string[],
  savingMs: number,
  options: { netMs?: number; facts?: Partial<CandidateFacts>; table?: string } = {},
): SystemCandidate {
  const table = options.table ?? "public.robots";
  const name = `${table.split(".")[1]}_${keys.join("_")}_idx`;
  const finding = testFinding(`index:${table}(${keys.join(", ")})`, {
    rule: "index.suggest",
    evidence: {
      series: ["optimizer.statement_deltas"],
      windows: [window],
      statistic: { name: "estimated net saving", value: options.netMs ?? savingMs, unit: "ms" },
    },
    gain: estimatedGain(savingMs, "ms", "test model"),
    action: {
      kind: "sql",
      sql: `create index concurrently ${name} on ${table} (${keys.join(", ")})`,
      rollback: `drop index concurrently if exists public.${name}`,
    },
    autoApplicable: true,
  });
  const facts = { ...defaultFacts, table: { ...defaultFacts.table!, name: table }, ...options.facts };
  return toCandidate({ id, finding }, facts);
}

/** An `index.duplicate` drop of public.`index` that frees `freedMb`. */
export function dropCandidate(
  id: string,
  index: string,
  freedMb: number,
  rule = "index.duplicate",
): SystemCandidate {
  const finding = testFinding(`index:public.${index}`, {
    rule,
    gain: estimatedGain(freedMb, "MB", "the index's size"),
    action: {
      kind: "sql",
      sql: `drop index concurrently if exists public.${index}`,
      rollback: `create index concurrently ${index} on public.robots (user_id)`,
    },
    autoApplicable: true,
  });
  return toCandidate({ id, finding }, { ...defaultFacts, indexBytes: null });
}

/** A config patch of a cache finding, with `gain`. */
export function configCandidate(
  id: string,
  patch: Record<string, unknown>,
  gain = estimatedGain(500, "ms", "test model"),
): SystemCandidate {
  const finding = testFinding(`cache:quotes-${id}`, {
    rule: "cache.evictions-over-budget",
    system: "cache",
    evidence: { series: ["test"], windows: [window], statistic: { name: "n", value: 1 } },
    gain,
    action: { kind: "config", patch },
    autoApplicable: true,
  });
  return toCandidate({ id, finding }, { ...defaultFacts, table: null, indexBytes: null });
}

/** A load of public.robot_messages (2500 blocks) ahead of its 12:15 UTC dips, saving `savedMs` (null: blocks only). */
export function plannedLoad(savedMs: number | null): PlannedPrewarm {
  return {
    slot: "12:15",
    slotStartsAt: new Date("2026-11-30T12:15:00Z"),
    relation: "public.robot_messages",
    blocks: 2500,
    dipDays: 2,
    expectedBlocksAvoided: 3000,
    expectedSavedMs: savedMs,
    reason: "read 3000 blocks from disk in the slot's dips",
  };
}

/** plannedLoad() as a candidate, its saving a share of a day's 100 s of database time. */
export function prewarmLoad(savedMs: number | null): SystemCandidate {
  return prewarmCandidate(plannedLoad(savedMs), {
    now: new Date("2026-11-30T12:00:00Z"),
    dips: { recurrenceDays: 7, slotMinutes: 5 },
    dayWorkloadMs: 100_000,
  });
}
