import type { Gain } from "../finding/finding.ts";
import type { PlannedAction, SystemPlan } from "./plan_system_run.ts";
import { roundTo } from "./round.ts";

/**
 * A system-wide run's execution within its deadline. Before each action, in the plan's order:
 *
 * 1. target: once the applied actions' estimated gain reaches targetGainPercent, the rest are skipped;
 * 2. time: an action whose estimated duration does not fit in the time left (less what recording the run
 *    takes) is skipped;
 * 3. apply: the action runs with the time left as its bound (the store turns it into statement_timeout and
 *    lock_timeout); one that fails is reported with Postgres' reason.
 */

/** How applying one action ended. */
export type StepOutcome =
  | { ok: true; detail: Record<string, unknown> }
  | { ok: false; reason: string };

/** An action the run applied. */
export interface AppliedOptimization {
  /**
   * The stored finding applied (its events hold who, what, when and the rollback); null for a buffer load
   * (its record is in optimizer.buffer_prewarms, with the run's id).
   */
  findingId: string | null;
  /** The finding's rule and subject. */
  rule: string;
  /** What it is about. */
  subject: string;
  /** Its module. */
  module: string;
  /** Its score under the run's priority. */
  score: number;
  /** The finding's gain: an estimate with its model. */
  estimate: Gain | null;
  /** The estimate as a share of the workload's database time, in percent. */
  estimatedGainPercent: number;
  /** How long applying it took, in ms. */
  durationMs: number;
  /** What applying it did (the statement, or the config patch). */
  detail: Record<string, unknown>;
}

/** Why the run did not apply an action it planned. */
export type SkipKind = "target" | "deadline" | "failed";

/** An action planned but not applied. */
export interface SkippedAction {
  /** The stored finding; null for a buffer load. */
  findingId: string | null;
  /** Its rule. */
  rule: string;
  /** What it is about. */
  subject: string;
  /** The target was reached, the deadline left no time, or applying it failed. */
  kind: SkipKind;
  /** Why, with the figures. */
  reason: string;
}

/** What the execution did. */
export interface Execution {
  /** The actions applied, in order. */
  applied: AppliedOptimization[];
  /** The actions not applied, with the reason. */
  skipped: SkippedAction[];
  /** The applied actions' estimated gains added up, in percent of the workload's database time. */
  gainPercent: number;
  /** Why the run stopped before the end of its plan (the target reached); null when it went through it. */
  stoppedEarly: string | null;
}

/** Options of executePlan(). */
export interface ExecuteOptions {
  /** The instant, on `clock`, by which the run must have ended. */
  deadline: number;
  /** Milliseconds, monotonic (default performance.now). */
  clock?: () => number;
  /** The gain at which the run stops, in percent; null for none. */
  targetGainPercent: number | null;
  /** Time kept back after the last action, for recording the run, in ms. */
  reserveMs: number;
}

const round = (value: number) => roundTo(value, 3);

/** Runs `plan`'s actions through `apply` within the deadline (see the top of this file). */
export async function executePlan(
  plan: SystemPlan,
  options: ExecuteOptions,
  apply: (action: PlannedAction, timeLeftMs: number) => Promise<StepOutcome>,
): Promise<Execution> {
  const clock = options.clock ?? (() => performance.now());
  const target = options.targetGainPercent;
  const execution: Execution = { applied: [], skipped: [], gainPercent: 0, stoppedEarly: null };
  const skip = ({ candidate }: PlannedAction, kind: SkipKind, reason: string) =>
    execution.skipped.push({
      findingId: candidate.findingId,
      rule: candidate.finding.rule,
      subject: candidate.finding.subject,
      kind,
      reason,
    });

  for (const action of plan.actions) {
    // 1. the target reached: nothing more is worth its cost
    if (target !== null && execution.gainPercent >= target) {
      execution.stoppedEarly ??= `the target was reached: the applied actions are estimated at ` +
        `${round(execution.gainPercent)} % of the database time, at least targetGainPercent ${target} %`;
      skip(action, "target", execution.stoppedEarly);
      continue;
    }
    // 2. the time left, less what recording the run takes
    const timeLeftMs = Math.floor(options.deadline - clock() - options.reserveMs);
    const needsMs = action.candidate.costs.durationMs;
    if (needsMs > timeLeftMs) {
      skip(
        action,
        "deadline",
        `it needs an estimated ${needsMs} ms and ${Math.max(0, timeLeftMs)} ms are left before maxDurationMs`,
      );
      continue;
    }
    // 3. applied, bounded by the time left
    const started = clock();
    const outcome = await apply(action, timeLeftMs);
    if (!outcome.ok) {
      skip(action, "failed", outcome.reason);
      continue;
    }
    const { candidate } = action;
    execution.applied.push({
      findingId: candidate.findingId,
      rule: candidate.finding.rule,
      subject: candidate.finding.subject,
      module: candidate.module ?? "",
      score: round(action.score),
      estimate: candidate.gain,
      estimatedGainPercent: round(candidate.performancePercent),
      durationMs: Math.round(clock() - started),
      detail: outcome.detail,
    });
    execution.gainPercent = round(execution.gainPercent + candidate.performancePercent);
  }
  return execution;
}

/**
 * Whether the run reached `target`, and if not, why: the plan's actions together fall short, or some did not
 * fit in the time or failed.
 */
export function targetVerdict(
  target: number | null,
  plan: SystemPlan,
  execution: Pick<Execution, "gainPercent" | "skipped">,
): { reached: boolean; reason: string } | null {
  if (target === null) return null;
  if (execution.gainPercent >= target) {
    return {
      reached: true,
      reason: `the applied actions are estimated at ${round(execution.gainPercent)} % of the database ` +
        `time, at least the target ${target} %`,
    };
  }
  const planned = round(plan.actions.reduce((sum, a) => sum + a.candidate.performancePercent, 0));
  const causes = [
    planned < target
      ? `the plan's ${plan.actions.length} action(s) together are estimated at ${planned} % (see rejected for ` +
        "the candidates left out)"
      : null,
    ...(["deadline", "failed"] as const).map((kind) => {
      const n = execution.skipped.filter((s) => s.kind === kind).length;
      if (n === 0) return null;
      return kind === "deadline" ? `${n} action(s) did not fit in maxDurationMs` : `${n} action(s) failed`;
    }),
  ].filter((cause) => cause !== null);
  return {
    reached: false,
    reason: `the applied actions are estimated at ${round(execution.gainPercent)} %, below the target ` +
      `${target} %: ${causes.join("; ")}`,
  };
}
