import { type EstimatedGain, estimatedGain } from "../finding/finding.ts";
import type { RunTrigger } from "../db/run_log.ts";
import { applyFinding, type ConfigAccess, rollbackFinding } from "../recommendations/apply.ts";
import type { RecommendationStore, StoredFinding } from "../recommendations/recommendation_store.ts";
import { toCandidate } from "./candidate.ts";
import {
  type AppliedOptimization,
  executePlan,
  type SkippedAction,
  type StepOutcome,
  targetVerdict,
} from "./execute_plan.ts";
import {
  type PlannedAction,
  planSystemRun,
  type RejectedCandidate,
  type SystemPlan,
} from "./plan_system_run.ts";
import type { SystemRunOptions } from "./system_options.ts";
import { roundTo } from "./round.ts";
import type { SystemStore } from "./system_store.ts";
import type { ActionCheckRecord, CheckStore } from "./check_store.ts";
import { gatherPrewarms, type PredictiveSource, prewarmCandidate } from "./predictive_candidates.ts";
import type { PrewarmStore } from "../buffers/prewarm_store.ts";
import { predictiveBufferSettings } from "../forecast/predictive_run.ts";
import type { BufferLoadPlan, SystemCandidate } from "./candidate.ts";
import type { OptimizationConfig } from "../config/config.ts";
import { DAY_MS } from "../time.ts";
import { type DeferredCheck, verifyAppliedActions } from "./verify_actions.ts";

/**
 * One system-wide run (the seed's optimizeSystem): under the run lock, recorded as a run of module
 * `systemWide`,
 * 0. verify: the actions applied before are checked against their estimates, and those that made things
 *    worse rolled back (verify_actions.ts);
 * 1. gather: the open findings of the modules asked for, with what the store reads about each action, and
 *    the buffer loads the predictive module would make now (predictive_candidates.ts) while it is on;
 * 2. plan: scored for the priority, conflicts resolved, within the config's limits (plan_system_run.ts);
 * 3. execute: in score order within maxDurationMs, stopping at targetGainPercent (execute_plan.ts); each
 *    action is applied as `POST /recommendations/:id/apply` applies it, by actor `run:<id>`, so that its
 *    events hold who, what, when and the rollback;
 * 4. report: what was applied and skipped, the estimated gain with its model, and the target's verdict.
 * A dry run plans and changes nothing: it takes no lock and records no run.
 */

/** A planned action as the result shows it. */
export interface PlannedActionView {
  /** The stored finding; null for a buffer load. */
  findingId: string | null;
  /** Its rule. */
  rule: string;
  /** What it is about. */
  subject: string;
  /** Its module. */
  module: string | null;
  /** Its score under the run's priority. */
  score: number;
  /** The gain, in percent of the workload's database time. */
  estimatedGainPercent: number;
  /** Its costs. */
  costs: PlannedAction["candidate"]["costs"];
  /** Its risk. */
  risk: PlannedAction["candidate"]["risk"];
  /** What applying it runs. */
  action: PlannedAction["candidate"]["finding"]["action"];
}

/** What a run answers with (and records as its summary). */
export interface SystemRunResult {
  /** The run (optimizer.runs); null for a dry run, which records none. */
  runId: string | null;
  /** Whether the run only planned. */
  dryRun: boolean;
  /** Who asked for it. */
  requestedBy: string;
  /** When it started. */
  startedAt: string;
  /** The options it ran with. */
  options: SystemRunOptions;
  /**
   * What it would apply, in order, and what it would not, with the reasons; `notes` say why a module asked
   * for offered no candidates at all (the predictive module off, no recurring dips).
   */
  plan: { actions: PlannedActionView[]; rejected: RejectedCandidate[]; notes: string[] };
  /** What it applied (none for a dry run). */
  appliedOptimizations: AppliedOptimization[];
  /** What it planned but did not apply, with the reasons. */
  skipped: SkippedAction[];
  /** The checks it made first of the actions applied before (none for a dry run). */
  verified: ActionCheckRecord[];
  /** The applied actions it had no time to check (see verificationShare). */
  deferredChecks: DeferredCheck[];
  /** The applied (for a dry run: planned) actions' gain, an estimate with its model. */
  estimatedPerformanceGain: EstimatedGain;
  /** Whether it reached targetGainPercent, and why not; null without a target. */
  target: { reached: boolean; reason: string } | null;
  /** Why it stopped before the end of its plan; null when it did not. */
  stoppedEarly: string | null;
  /** How long it took, in ms. */
  executionTime: number;
}

/** What a run needs. */
export interface SystemRunDeps {
  /** The run lock, the facts and the run log. */
  store: SystemStore;
  /** The stored findings. */
  findings: RecommendationStore;
  /** The checks of applied actions. */
  checks: CheckStore;
  /** The stored config, read for the limits and patched by config actions. */
  config: ConfigAccess;
  /**
   * A findings store whose index builds and drops are bounded by `timeLeftMs` (statement_timeout and
   * lock_timeout), with `end()` to close it after the action.
   */
  boundedFindings(timeLeftMs: number): { store: RecommendationStore; end(): Promise<void> };
  /**
   * The predictive module's forecasts and buffer reads, and a buffer store whose loads are bounded by
   * `timeLeftMs` (statement_timeout); without it, a run gathers no buffer loads.
   */
  predictive?: PredictiveSource & {
    boundedBuffers(timeLeftMs: number): { store: PrewarmStore; end(): Promise<void> };
  };
  /** Milliseconds, monotonic (default performance.now). */
  clock?: () => number;
}

/** Who asked for a run, and when. */
export interface SystemRunRequestInfo {
  /** What started it. */
  trigger: RunTrigger;
  /** Who asked (`secret:<key name>`). */
  requestedBy: string;
  /** When, for the run log. */
  now: Date;
  /** When the request arrived, on the run's clock: maxDurationMs counts from then (default: the call). */
  arrivedAt?: number;
}

/** Time kept back from maxDurationMs for recording the run and answering. */
export const recordingReserveMs = 500;
/**
 * The share of a run's time (less recordingReserveMs) in which its verification may start checks, so that a
 * run with many actions to check on a slow database still plans; the actions left wait for the next run.
 */
export const verificationShare = 0.5;
/** How long the run lock outlives the deadline should the function die mid-run. */
const lockMarginMs = 30_000;

/** The model behind estimatedPerformanceGain. */
export const systemGainModel: string =
  "the applied actions' estimated savings (each finding names its model) added up, each as a share of the " +
  "project's statement execution time over the window its finding was measured in";

/** Runs a system-wide run (see the top of this file); `busy` when another holds the lock. */
export async function runSystemOptimization(
  deps: SystemRunDeps,
  options: SystemRunOptions,
  request: SystemRunRequestInfo,
): Promise<{ result: SystemRunResult } | { busy: { runningRunId: string | null } }> {
  const clock = deps.clock ?? (() => performance.now());
  const started = request.arrivedAt ?? clock();
  if (options.dryRun) return { result: await planned(deps, options, request, null, started, clock) };

  const locked = await deps.store.lockedRun(
    { trigger: request.trigger, now: request.now, holdMs: options.maxDurationMs + lockMarginMs },
    (runId) => planned(deps, options, request, runId, started, clock),
  );
  return locked.ran ? { result: locked.value } : { busy: { runningRunId: locked.runningRunId } };
}

/** Steps 0 to 4; a dry run (`runId` null) verifies and executes nothing. */
async function planned(
  deps: SystemRunDeps,
  options: SystemRunOptions,
  request: { requestedBy: string; now: Date },
  runId: string | null,
  started: number,
  clock: () => number,
): Promise<SystemRunResult> {
  const deadline = started + options.maxDurationMs;
  // 0. the earlier actions checked first, so that one this check undoes is not applied again below
  const verification = runId === null ? { checks: [], deferred: [] } : await verifyAppliedActions(
    deps,
    `run:${runId}`,
    {
      until: started + (options.maxDurationMs - recordingReserveMs) * verificationShare,
      clock,
      boundedFindings: deps.boundedFindings,
    },
  );
  // 1 and 2, bounded too: with a slow database, reading the candidates can take the whole run
  const plan = await beforeDeadline(
    gatherAndPlan(deps, options, request.now),
    deadline - recordingReserveMs,
    clock,
  );
  const unplanned = plan === null
    ? `the deadline: reading the candidates did not end within maxDurationMs (${options.maxDurationMs} ms, ` +
      `${recordingReserveMs} ms of it kept for recording the run), so nothing was planned`
    : null;
  const actions = plan ?? { actions: [], rejected: [], notes: [] };

  // 3. execute
  const execution = runId === null ? null : await executePlan(
    actions,
    { deadline, clock, targetGainPercent: options.targetGainPercent, reserveMs: recordingReserveMs },
    (action, timeLeftMs) => applyBounded(deps, action, { runId, now: request.now }, timeLeftMs),
  );
  // the counters as the applied actions start to work: the window their checks measure begins here
  if (execution !== null && execution.applied.length > 0) await deps.checks.takeSnapshot();

  // 4. report
  const gainPercent = execution?.gainPercent ??
    actions.actions.reduce((sum, a) => sum + a.candidate.performancePercent, 0);
  return {
    runId,
    dryRun: runId === null,
    requestedBy: request.requestedBy,
    startedAt: request.now.toISOString(),
    options,
    plan: { actions: actions.actions.map(view), rejected: actions.rejected, notes: actions.notes },
    appliedOptimizations: execution?.applied ?? [],
    skipped: execution?.skipped ?? [],
    verified: verification.checks,
    deferredChecks: verification.deferred,
    estimatedPerformanceGain: estimatedGain(
      roundTo(gainPercent, 3),
      "% of the database time",
      systemGainModel,
    ),
    target: targetVerdict(options.targetGainPercent, actions, {
      gainPercent,
      skipped: execution?.skipped ?? [],
    }),
    stoppedEarly: unplanned ?? execution?.stoppedEarly ?? null,
    executionTime: Math.round(clock() - started),
  };
}

/** Steps 1 and 2: the open findings and buffer loads of the modules asked for, with their facts, planned. */
async function gatherAndPlan(
  deps: SystemRunDeps,
  options: SystemRunOptions,
  now: Date,
): Promise<SystemPlan & { notes: string[] }> {
  const { config } = await deps.config.readConfig();
  const open = await deps.findings.list({ status: "open", limit: 1000 });
  const applied = await deps.findings.list({ status: "applied", limit: 1000 });
  const facts = await deps.store.candidateFacts(open);
  const loads = options.modules.includes("predictive")
    ? await predictiveCandidates(deps, config, now)
    : { candidates: [], notes: [] };
  const candidates = [
    ...open.map((stored) => toCandidate(stored, facts.get(stored.id)!)),
    ...loads.candidates,
  ];
  const tableIndexes = new Map<string, number>();
  for (const { table } of facts.values()) if (table) tableIndexes.set(table.name, table.indexes);
  const rolledBack = await deps.checks.rolledBack();
  const plan = planSystemRun(candidates, {
    rolledBack,
    priority: options.priority,
    modules: options.modules,
    maxIndexesPerTable: config.limits.maxIndexesPerTable,
    maxTotalIndexSizeMb: config.limits.maxTotalIndexSizeMb,
    suiteIndexMb: await deps.store.suiteIndexMb(applied),
    tableIndexes,
  });
  return { ...plan, notes: loads.notes };
}

/**
 * The predictive module's candidates: the loads its run would make now, while modules.predictive is on (a
 * project that turned it off wants no loads); the tables its plan leaves out and why it plans none are notes.
 */
async function predictiveCandidates(
  deps: SystemRunDeps,
  config: OptimizationConfig,
  now: Date,
): Promise<{ candidates: SystemCandidate[]; notes: string[] }> {
  if (!config.modules.predictive) {
    return {
      candidates: [],
      notes: [
        "predictive: modules.predictive is off, so no buffer loads are planned: turn it on with " +
        "PUT /status/config",
      ],
    };
  }
  if (!deps.predictive) return { candidates: [], notes: ["predictive: this deployment reads no forecasts"] };
  const settings = predictiveBufferSettings(config);
  // a failure (a missing extension, a revoked right) leaves the other modules' actions to plan, as in the
  // predictive run
  const gathered = await gatherPrewarms(deps.predictive, now, settings).catch((error) => ({
    planned: [],
    rejected: [],
    reason: `buffer loads could not be planned: ${error instanceof Error ? error.message : String(error)}`,
  }));
  const dayWorkloadMs = gathered.planned.length === 0
    ? null
    : await deps.store.workloadMs({ from: new Date(now.getTime() - DAY_MS), to: now });
  return {
    candidates: gathered.planned.map((planned) =>
      prewarmCandidate(planned, { now, dips: settings.dips, dayWorkloadMs })
    ),
    notes: [
      ...(gathered.reason === null ? [] : [`predictive: ${gathered.reason}`]),
      ...gathered.rejected.map((r) =>
        `predictive: ${r.relation} at ${r.slot} UTC is not loaded: ${r.reason}`
      ),
    ],
  };
}

/** `work`'s value, or null when it has not settled by `deadline` on `clock` (it is left to finish unread). */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, clock: () => number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), Math.max(0, deadline - clock()))
  );
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Applies one action bounded by the time left: what ran, and what undoes it. */
async function applyBounded(
  deps: SystemRunDeps,
  { candidate }: PlannedAction,
  run: { runId: string; now: Date },
  timeLeftMs: number,
): Promise<StepOutcome> {
  if (candidate.plan.kind === "prewarm") return await loadBounded(deps, candidate.plan, run, timeLeftMs);
  const bounded = deps.boundedFindings(timeLeftMs);
  try {
    const outcome = await applyFinding(bounded.store, deps.config, candidate.findingId!, `run:${run.runId}`);
    if (outcome.status !== 200) {
      return { ok: false, reason: String(outcome.body.error ?? `apply answered ${outcome.status}`) };
    }
    const stored = outcome.body.finding as StoredFinding | null;
    return {
      ok: true,
      detail: { action: candidate.finding.action, rollback: stored?.applied?.rollback ?? null },
    };
  } finally {
    await bounded.end();
  }
}

/** Loads a table into shared buffers, recorded in the run; a load has nothing to undo. */
async function loadBounded(
  deps: SystemRunDeps,
  { planned, slotMinutes }: BufferLoadPlan,
  run: { runId: string; now: Date },
  timeLeftMs: number,
): Promise<StepOutcome> {
  if (!deps.predictive) return { ok: false, reason: "this deployment cannot load buffers" };
  const bounded = deps.predictive.boundedBuffers(timeLeftMs);
  try {
    const record = await bounded.store.load(run.runId, planned, slotMinutes, run.now);
    return {
      ok: true,
      detail: {
        prewarmId: record.id,
        blocksLoaded: record.blocksLoaded,
        rollback: "nothing to undo: loaded blocks are evicted from shared buffers like any others",
      },
    };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await bounded.end();
  }
}

/** What rolling back one action of a run did. */
export interface RolledBackAction {
  /** The stored finding. */
  findingId: string;
  /** 200 rolled back, else the status rollbackFinding() answered. */
  status: number;
  /** What was undone, or why it could not be. */
  detail: Record<string, unknown>;
}

/**
 * Rolls back, as `actor`, every action run `runId` applied that is still applied, the last applied first;
 * each is audited as a rollback of its finding.
 */
export async function rollbackSystemRun(
  deps: Pick<SystemRunDeps, "store" | "findings" | "config">,
  runId: string,
  actor: string,
): Promise<RolledBackAction[]> {
  const ids = await deps.store.appliedBy(`run:${runId}`);
  const rolledBack: RolledBackAction[] = [];
  for (const findingId of ids.reverse()) {
    const outcome = await rollbackFinding(deps.findings, deps.config, findingId, actor);
    const { finding: _finding, ...detail } = outcome.body;
    rolledBack.push({ findingId, status: outcome.status, detail });
  }
  return rolledBack;
}

function view({ candidate, score }: PlannedAction): PlannedActionView {
  return {
    findingId: candidate.findingId,
    rule: candidate.finding.rule,
    subject: candidate.finding.subject,
    module: candidate.module,
    score: roundTo(score, 3),
    estimatedGainPercent: roundTo(candidate.performancePercent, 3),
    costs: candidate.costs,
    risk: candidate.risk,
    action: candidate.finding.action,
  };
}
