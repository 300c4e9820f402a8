import type { Finding, Gain } from "../finding/finding.ts";
import { type ApplyPlan, planApply } from "../recommendations/apply_plan.ts";
import type { StoredFinding } from "../recommendations/recommendation_store.ts";
import type { SystemModule } from "./system_options.ts";
import type { PlannedPrewarm } from "../buffers/plan_prewarm.ts";

/**
 * A candidate action of a system-wide run: an open stored finding, or a buffer load the predictive module
 * would make now (predictive_candidates.ts), with what the planner weighs (its gain as a share of the
 * workload's database time, its costs and its risk) in one set of units, so that actions of different
 * modules compare. Each figure names where it comes from; the ones that are models say so.
 */

/** What the store reads about a finding's action before the run plans (system_store.ts). */
export interface CandidateFacts {
  /** The project's statements' execution time over the finding's evidence window, in ms; null when unknown. */
  workloadMs: number | null;
  /**
   * The table the action changes, as Postgres names it, with its index count and its heap's size (the main
   * fork, which a build scans); null for none.
   */
  table: { name: string; indexes: number; bytes: number } | null;
  /** A new index's size estimated by hypopg, in bytes; null for other actions or when hypopg is missing. */
  indexBytes: number | null;
}

/** The costs of an action, in the units the scores use. */
export interface CandidateCosts {
  /** Disk taken (negative: freed), in MB; null when unknown (an index build without hypopg). */
  storageMb: number | null;
  /** Index maintenance the action adds to writes, in percent of the workload's database time. */
  writePercent: number;
  /** How long the action is expected to take, in ms (buildMs's model). */
  durationMs: number;
}

/** A buffer load with pg_prewarm: the predictive module's action, recorded in optimizer.buffer_prewarms. */
export interface BufferLoadPlan {
  /** Tells the plans apart. */
  kind: "prewarm";
  /** The load. */
  planned: PlannedPrewarm;
  /** Length of its slot in minutes, for its record. */
  slotMinutes: number;
}

/** How a candidate would be applied: as its finding's apply would (apply_plan.ts), or a buffer load. */
export type CandidatePlan = ApplyPlan | BufferLoadPlan;

/** One candidate action. */
export interface SystemCandidate {
  /** The stored finding (optimizer.findings id); null for a buffer load, which is no stored finding. */
  findingId: string | null;
  /** The module it belongs to; null when it belongs to none the run acts for. */
  module: SystemModule | null;
  /** The finding. */
  finding: Finding;
  /** How the action would be applied, or why it cannot be. */
  plan: CandidatePlan;
  /** The finding's gain. */
  gain: Gain | null;
  /** Why the gain adds nothing to performancePercent though the action has one; null when it does. */
  gainNote: string | null;
  /** The database time it saves, in percent of the workload's over the finding's window. */
  performancePercent: number;
  /** What it costs. */
  costs: CandidateCosts;
  /** How likely it is to go wrong, 0 to 1, and why. */
  risk: { points: number; reason: string };
  /** The table it changes, as Postgres names it; null for config patches. */
  table: string | null;
  /** A build's key expressions, in order; empty for other actions. */
  keys: string[];
  /** The settings a config patch changes, e.g. `limits.cacheSizeBudgetMb`; empty for other actions. */
  configKeys: string[];
}

const MB = 1024 * 1024;

/**
 * The model of an action's duration. A concurrent build reads the table's heap twice (two scans and a sort;
 * TOASTed values only when a key needs them) and first waits for the transactions already running on it;
 * 100 MB/s per scan is below the baseline throughput of the smallest cloud volumes (125 MB/s for AWS gp3), and
 * a table busy enough to need an index is mostly cached. A drop or a config write is a catalog change. Only
 * whether an action is tried depends on the model: statement_timeout bounds what it takes.
 */
export const durationModel = {
  /** Waiting for the table's running transactions, and the catalog work of every action. */
  fixedMs: 250,
  /** Bytes of heap one scan of a concurrent build reads per ms. */
  scanBytesPerMs: 100_000,
  /** Scans of the table a concurrent build makes. */
  buildScans: 2,
  /** Bytes of a Postgres block: a buffer load reads the table's and its indexes' blocks once. */
  blockBytes: 8192,
} as const;

/**
 * Risk points of each kind of action: what can go wrong that the estimate does not show. A build can fail
 * and leave an invalid index to drop (a unique one on duplicate keys); a drop can slow a query the
 * statistics did not show, except an invalid index (no query uses it) or a duplicate (its twin stays); a
 * buffer load evicts blocks other queries read, at most the plan's share of shared_buffers.
 */
export const riskPoints = {
  build: 0.2,
  uniqueBuild: 0.7,
  drop: 0.5,
  duplicateDrop: 0.1,
  invalidDrop: 0,
  config: 0.1,
  prewarm: 0.05,
} as const;

/** The module a finding belongs to: the breaker and buffer rules', else its system's; null for `overall`. */
export function moduleOf(finding: Pick<Finding, "rule" | "system">): SystemModule | null {
  if (finding.rule.startsWith("resilience.")) return "breakers";
  if (finding.rule.startsWith("predictive.")) return "predictive";
  if (finding.system === "db") return "recommendations";
  if (finding.system === "edge") return "warmer";
  if (finding.system === "cache") return "cache";
  return null;
}

/** Pure: the candidate of an open stored finding, given what the store read about it. */
export function toCandidate(
  stored: Pick<StoredFinding, "id" | "finding">,
  facts: CandidateFacts,
): SystemCandidate {
  const { finding } = stored;
  const plan = planApply(finding.action);
  const share = (ms: number) =>
    facts.workloadMs !== null && facts.workloadMs > 0 ? (ms / facts.workloadMs) * 100 : 0;
  const gainMs = finding.gain?.unit === "ms" ? finding.gain.value : 0;
  return {
    findingId: stored.id,
    module: moduleOf(finding),
    finding,
    plan,
    gain: finding.gain,
    gainNote: null,
    performancePercent: share(gainMs),
    costs: {
      storageMb: storageMb(plan, finding, facts),
      writePercent: share(writePenaltyMs(finding)),
      durationMs: durationMs(plan, facts),
    },
    risk: risk(plan, finding),
    table: facts.table?.name ?? null,
    keys: plan.kind === "index" ? indexKeys(plan.statement) : [],
    configKeys: plan.kind === "config" ? settingPaths(plan.patch) : [],
  };
}

/** A build takes its estimated size; a drop frees the size its finding states (MB) or nothing known. */
function storageMb(plan: ApplyPlan, finding: Finding, facts: CandidateFacts): number | null {
  if (plan.kind === "index") return facts.indexBytes === null ? null : facts.indexBytes / MB;
  if (plan.kind === "drop-index") return finding.gain?.unit === "MB" ? -finding.gain.value : 0;
  return 0;
}

/**
 * The advisor states a build's gross saving as its gain and the saving net of the index's write penalty as
 * its statistic (`estimated net saving`, ms): the difference is the penalty.
 */
function writePenaltyMs(finding: Finding): number {
  const { statistic } = finding.evidence;
  if (finding.gain?.unit !== "ms" || statistic.name !== "estimated net saving" || statistic.unit !== "ms") {
    return 0;
  }
  return typeof statistic.value === "number" ? Math.max(0, finding.gain.value - statistic.value) : 0;
}

function durationMs(plan: ApplyPlan, facts: CandidateFacts): number {
  if (plan.kind !== "index") return durationModel.fixedMs;
  return modelDurationMs((facts.table?.bytes ?? 0) * durationModel.buildScans);
}

/** The duration model's ms for an action that reads `bytes` (durationModel). */
export function modelDurationMs(bytes: number): number {
  return Math.round(durationModel.fixedMs + bytes / durationModel.scanBytesPerMs);
}

function risk(plan: ApplyPlan, finding: Finding): SystemCandidate["risk"] {
  if (plan.kind === "index") {
    return /^\s*create\s+unique\b/i.test(plan.statement)
      ? {
        points: riskPoints.uniqueBuild,
        reason: "a unique build fails on duplicate keys and leaves an index to drop",
      }
      : {
        points: riskPoints.build,
        reason: "a concurrent build can fail and leave an invalid index to drop",
      };
  }
  if (plan.kind === "drop-index") {
    if (finding.rule === "index.invalid") {
      return { points: riskPoints.invalidDrop, reason: "no query uses an invalid index" };
    }
    if (finding.rule === "index.duplicate") {
      return { points: riskPoints.duplicateDrop, reason: "its duplicate stays and serves the same plans" };
    }
    return { points: riskPoints.drop, reason: "a query the statistics did not show may have used it" };
  }
  return { points: riskPoints.config, reason: "a config change takes effect at the modules' next runs" };
}

/**
 * The key expressions of a `create index … on <table> [using <method>] (…)` statement, split at the commas
 * outside parentheses and quotes, lower-cased outside quotes: `(user_id, lower(name))` is
 * `["user_id", "lower(name)"]`.
 */
export function indexKeys(statement: string): string[] {
  const open = statement.search(/\(/);
  if (open < 0) return [];
  const keys: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const char of statement.slice(open + 1)) {
    if (char === '"') quoted = !quoted;
    if (!quoted && char === "(") depth++;
    if (!quoted && char === ")" && depth-- === 0) break;
    if (!quoted && char === "," && depth === 0) {
      keys.push(current);
      current = "";
      continue;
    }
    current += quoted || char === '"' ? char : char.toLowerCase();
  }
  return [...keys, current].map((key) => key.trim().replace(/\s+/g, " ")).filter((key) => key !== "");
}

/** The dotted paths of a config patch's settings: `{ limits: { a: 1 } }` is `["limits.a"]`. */
function settingPaths(patch: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(patch).flatMap(([key, value]) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? settingPaths(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`]
  );
}
