import type { OptimizationPriority } from "../config/config.ts";
import type { SystemCandidate } from "./candidate.ts";
import { roundTo } from "./round.ts";
import type { SystemModule } from "./system_options.ts";

/**
 * The plan of a system-wide run, a pipeline over the candidate actions:
 *
 * 1. modules: only the modules the run is asked for;
 * 2. applicable: the suite may apply it by itself, knows how, its finding states a gain to weigh, and no
 *    check rolled it back;
 * 3. score: gain against costs and risk, weighted for the priority; only a positive score stays;
 * 4. conflicts: of two builds where one makes the other redundant, or two patches of the same setting, the
 *    higher score wins;
 * 5. limits: in score order, while the config's index limits hold;
 * 6. order: highest score first, the order the run applies them in.
 *
 * Every candidate dropped is recorded with the step and the reason.
 */

/**
 * How much each part of a score counts under each priority. A score is in percent of the workload's
 * database time: gain (percent saved) minus costs (storage as percent of limits.maxTotalIndexSizeMb, writes
 * as percent of the database time) minus risk (0 to 1, in percentage points per point).
 */
export const priorityWeights: Record<OptimizationPriority, { gain: number; cost: number; risk: number }> = {
  performance: { gain: 1, cost: 0.25, risk: 1 },
  cost: { gain: 0.25, cost: 1, risk: 1 },
  reliability: { gain: 0.5, cost: 0.25, risk: 4 },
};

/** What the plan must respect. */
export interface PlanOptions {
  /** What to favour. */
  priority: OptimizationPriority;
  /** The modules the run gathers from. */
  modules: readonly SystemModule[];
  /** limits.maxIndexesPerTable. */
  maxIndexesPerTable: number;
  /** limits.maxTotalIndexSizeMb. */
  maxTotalIndexSizeMb: number;
  /** The size of the indexes the suite built and keeps, in MB. */
  suiteIndexMb: number;
  /** The index count of every table the candidates change, as Postgres names them. */
  tableIndexes: ReadonlyMap<string, number>;
  /** The findings a check rolled back, with its reason: not applied again by a run. */
  rolledBack?: ReadonlyMap<string, string>;
}

/** A candidate the plan keeps, with its score. */
export interface PlannedAction {
  /** The candidate. */
  candidate: SystemCandidate;
  /** Its score under the run's priority (see priorityWeights). */
  score: number;
}

/** The steps of the pipeline a candidate can be dropped at. */
export type PlanStep = "modules" | "applicable" | "score" | "conflicts" | "limits";

/** A candidate the plan drops, and why. */
export interface RejectedCandidate {
  /** The stored finding; null for a buffer load. */
  findingId: string | null;
  /** Its rule and subject. */
  rule: string;
  /** What it is about. */
  subject: string;
  /** Where it was dropped. */
  step: PlanStep;
  /** Why, with the figures. */
  reason: string;
  /** Its score, once scored. */
  score: number | null;
}

/** A run's plan. */
export interface SystemPlan {
  /** What the run would apply, in order. */
  actions: PlannedAction[];
  /** What it would not, with the reasons. */
  rejected: RejectedCandidate[];
}

const round = (value: number, digits = 3) => roundTo(value, digits);

/** Pure: the plan over `candidates` (see the top of this file). */
export function planSystemRun(candidates: readonly SystemCandidate[], options: PlanOptions): SystemPlan {
  const rejected: RejectedCandidate[] = [];
  const reject = (candidate: SystemCandidate, step: PlanStep, reason: string, score: number | null = null) =>
    rejected.push({
      findingId: candidate.findingId,
      rule: candidate.finding.rule,
      subject: candidate.finding.subject,
      step,
      reason,
      score: score === null ? null : round(score),
    });

  // 1. only the modules asked for
  const inModules = candidates.filter((c) => {
    if (c.module === null) reject(c, "modules", `rule ${c.finding.rule} belongs to no module a run acts for`);
    else if (!options.modules.includes(c.module)) {
      reject(c, "modules", `module ${c.module} is not in this run`);
    }
    return c.module !== null && options.modules.includes(c.module);
  });

  // 2. applicable by the suite, with a gain to weigh, and not undone by a check of an earlier apply
  const applicable = inModules.filter((c) => {
    const undone = c.findingId === null ? undefined : options.rolledBack?.get(c.findingId);
    const reason = undone === undefined
      ? notApplicable(c)
      : `a check of its earlier apply undid it (${undone}): apply it yourself with ` +
        `POST /recommendations/${c.findingId}/apply to try again`;
    if (reason) reject(c, "applicable", reason);
    return reason === null;
  });

  // 3. scored for the priority; a score at or below zero costs more than it gains
  const scored: PlannedAction[] = [];
  for (const candidate of applicable) {
    const score = scoreCandidate(candidate, options.priority, options.maxTotalIndexSizeMb);
    if (score > 0) scored.push({ candidate, score });
    else {reject(
        candidate,
        "score",
        `${describeScore(candidate, options)}: its costs outweigh its gain`,
        score,
      );}
  }
  scored.sort((a, b) => b.score - a.score || idOf(a.candidate).localeCompare(idOf(b.candidate)));

  // 4. conflicts: the higher score wins
  const winners: PlannedAction[] = [];
  for (const action of scored) {
    const lost = firstConflict(winners, action.candidate);
    if (lost) {
      const { rival, why } = lost;
      reject(
        action.candidate,
        "conflicts",
        `${why}; ${rival.candidate.finding.subject} (${idOf(rival.candidate)}) scores higher ` +
          `(${round(rival.score)} against ${round(action.score)})`,
        action.score,
      );
    } else winners.push(action);
  }

  // 5. within the config's limits, in score order
  const indexes = new Map(options.tableIndexes);
  for (const drop of winners.filter((w) => w.candidate.plan.kind === "drop-index" && w.candidate.table)) {
    indexes.set(drop.candidate.table!, (indexes.get(drop.candidate.table!) ?? 0) - 1);
  }
  let suiteMb = options.suiteIndexMb;
  const actions: PlannedAction[] = [];
  for (const action of winners) {
    const { candidate } = action;
    if (candidate.plan.kind === "index") {
      const table = candidate.table ?? "";
      const count = (indexes.get(table) ?? 0) + 1;
      const sizeMb = candidate.costs.storageMb;
      if (sizeMb === null) {
        reject(
          candidate,
          "limits",
          "its size is unknown (hypopg is not installed, or could not plan the index), so limits.maxTotalIndexSizeMb cannot be kept",
          action.score,
        );
        continue;
      }
      if (count > options.maxIndexesPerTable) {
        reject(
          candidate,
          "limits",
          `it would make ${count} indexes on ${table}, above limits.maxIndexesPerTable ${options.maxIndexesPerTable}`,
          action.score,
        );
        continue;
      }
      if (suiteMb + sizeMb > options.maxTotalIndexSizeMb) {
        reject(
          candidate,
          "limits",
          `its estimated ${round(sizeMb, 2)} MB would take the suite's indexes to ${
            round(suiteMb + sizeMb, 2)
          } MB, ` +
            `above limits.maxTotalIndexSizeMb ${options.maxTotalIndexSizeMb}`,
          action.score,
        );
        continue;
      }
      indexes.set(table, count);
      suiteMb += sizeMb;
    }
    actions.push(action);
  }

  // 6. highest score first (kept from step 3)
  return { actions, rejected };
}

/** How a reason names a candidate: its finding, or what a buffer load is about. */
const idOf = (c: SystemCandidate) => c.findingId === null ? c.finding.subject : `finding ${c.findingId}`;

/** Why the suite will not apply a candidate by itself, or null when it may. */
function notApplicable(c: SystemCandidate): string | null {
  if (c.plan.kind === "refused") return c.plan.reason;
  if (!c.finding.autoApplicable) {
    return `its finding is not auto-applicable (rule ${c.finding.rule}): review it and apply it with ` +
      `POST /recommendations/${c.findingId}/apply`;
  }
  if (c.gain === null) {
    return `its finding states no gain to weigh against its costs: review it and apply it with ` +
      `POST /recommendations/${c.findingId}/apply`;
  }
  return null;
}

/** Pure: a candidate's score under `priority` (see priorityWeights). */
export function scoreCandidate(
  c: SystemCandidate,
  priority: OptimizationPriority,
  maxTotalIndexSizeMb: number,
): number {
  const weights = priorityWeights[priority];
  const storagePercent = maxTotalIndexSizeMb > 0 ? ((c.costs.storageMb ?? 0) / maxTotalIndexSizeMb) * 100 : 0;
  const cost = storagePercent + c.costs.writePercent;
  return weights.gain * c.performancePercent - weights.cost * cost - weights.risk * c.risk.points;
}

function describeScore(c: SystemCandidate, options: PlanOptions): string {
  const score = scoreCandidate(c, options.priority, options.maxTotalIndexSizeMb);
  const storage = c.costs.storageMb ?? 0;
  return `scores ${round(score)} under priority ${options.priority}: gain ${
    round(c.performancePercent)
  } % of ` +
    `the database time${c.gainNote === null ? "" : ` (${c.gainNote})`}, ${storage < 0 ? "frees" : "takes"} ` +
    `${round(Math.abs(storage), 2)} MB, writes ${round(c.costs.writePercent)} %, risk ${c.risk.points} ` +
    `(${c.risk.reason})`;
}

/** The first of `winners` that `candidate` conflicts with, and why; null when it conflicts with none. */
function firstConflict(
  winners: readonly PlannedAction[],
  candidate: SystemCandidate,
): { rival: PlannedAction; why: string } | null {
  for (const rival of winners) {
    const why = conflict(rival.candidate, candidate);
    if (why !== null) return { rival, why };
  }
  return null;
}

/** Why two candidates cannot both be applied, or null when they can. */
export function conflict(a: SystemCandidate, b: SystemCandidate): string | null {
  if (a.plan.kind === "index" && b.plan.kind === "index" && a.table !== null && a.table === b.table) {
    const [shorter, longer] = a.keys.length <= b.keys.length ? [a.keys, b.keys] : [b.keys, a.keys];
    if (shorter.length > 0 && shorter.every((key, i) => longer[i] === key)) {
      return `the two indexes on ${a.table} make one another redundant: (${longer.join(", ")}) serves the ` +
        `lookups of (${shorter.join(", ")})`;
    }
  }
  const shared = a.configKeys.filter((key) => b.configKeys.includes(key));
  return shared.length > 0 ? `both set ${shared.join(", ")}` : null;
}
