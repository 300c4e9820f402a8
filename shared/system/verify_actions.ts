import { servedStatements } from "../advisor/findings.ts";
import { type ConfigAccess, rollbackFinding } from "../recommendations/apply.ts";
import type { RecommendationStore } from "../recommendations/recommendation_store.ts";
import { median } from "../correlate/statistics.ts";
import type { ActionCheckRecord, CheckStore } from "./check_store.ts";
import type { EstimatedGain, MeasuredGain, Window } from "../finding/finding.ts";
import { budgetedFunctions } from "../analyze/warm_budget.ts";
import { checkWarmBudget } from "./check_warm_budget.ts";
import { checkCacheBudget } from "./check_cache_budget.ts";
import { checkIndexBuild, type StatementTimes } from "./verify_gain.ts";

/**
 * The verification of the actions applied findings made, whoever applied them (the indexes `index.suggest`
 * findings built, the warm budgets `warm.budget-short` findings raised, the cache budgets
 * `cache.evictions-over-budget` findings raised), run by every system-wide run before it plans and by
 * `POST /optimize-system/verify`:
 *
 * 1. snapshot: the database's counters now, so that the window since each apply ends here;
 * 2. check: each against its estimate (checkIndexBuild(), checkWarmBudget(), checkCacheBudget());
 * 3. roll back: an action found degraded or unused, when verification.rollbackDegraded allows it, recorded as
 *    a rollback of its finding by the verifying actor;
 * 4. record: each check in optimizer.action_checks, one row per apply, final once not pending.
 *
 * Bounded (a system-wide run passes its deadline): no check starts after `bounds.until`, and a rollback's
 * statements time out when the bound comes; the actions left are checked by the next verification.
 */

/** The action kind of an index build, as checks record it. */
export const indexBuildKind = "index-build";
/** The action kind of a raised warm budget, as checks record it. */
export const warmBudgetKind = "warm-budget";
/** The action kind of a raised cache budget, as checks record it. */
export const cacheBudgetKind = "cache-budget";

/** What a verification needs. */
export interface VerifyDeps {
  /** The applied actions, what is measured of them, and the checks. */
  checks: CheckStore;
  /** The stored findings, for rollbacks. */
  findings: RecommendationStore;
  /** The stored config: verification's settings, and patches undone by rollbacks. */
  config: ConfigAccess;
}

/** The time a bounded verification may take. */
export interface VerifyBounds {
  /** On `clock`: no check starts after it, and no rollback's statement outlives it. */
  until: number;
  /** Milliseconds, monotonic. */
  clock: () => number;
  /** A findings store whose DDL is bounded by `timeLeftMs`, with `end()` to close it after the rollback. */
  boundedFindings(timeLeftMs: number): { store: RecommendationStore; end(): Promise<void> };
}

/** An applied action a bounded verification had no time left to check. */
export interface DeferredCheck {
  /** The stored finding. */
  findingId: string;
  /** Why it was not checked. */
  reason: string;
}

/** What one verification did. */
export interface Verification {
  /** This pass's checks. */
  checks: ActionCheckRecord[];
  /** The actions it left for the next one. */
  deferred: DeferredCheck[];
}

/** The estimator's error per action kind, over the checks that measured something. */
export interface EstimatorError {
  /** The action kind, e.g. `index-build`. */
  kind: string;
  /** Checks with a relative error. */
  checks: number;
  /** The median of |estimate − measured| / |measured|; null without checks. */
  medianRelativeError: number | null;
}

/** Runs a verification as `actor` (see the top of this file), within `bounds` when given. */
export async function verifyAppliedActions(
  deps: VerifyDeps,
  actor: string,
  bounds?: VerifyBounds,
): Promise<Verification> {
  const { config } = await deps.config.readConfig();
  const builds = await deps.checks.appliedBuilds();
  const budgets = await deps.checks.appliedWarmBudgets();
  const caches = await deps.checks.appliedCacheBudgets();
  const records: ActionCheckRecord[] = [];
  const deferred: DeferredCheck[] = [];
  if (builds.length + budgets.length + caches.length === 0) return { checks: records, deferred };
  // 1. snapshot
  const now = await deps.checks.takeSnapshot();
  const late = (findingId: string) => {
    if (!bounds || bounds.clock() < bounds.until) return false;
    deferred.push({ findingId, reason: "the run's time for verification had run out" });
    return true;
  };
  /** Steps 3 and 4 for one apply's check. */
  const settle = async (
    applied: { findingId: string; appliedAt: Date },
    kind: string,
    estimate: EstimatedGain,
    check: { verdict: string; reason: string; measured?: MeasuredGain; relativeError?: number | null },
  ) => {
    // 3. roll back what made things worse
    let rolledBack = false;
    let reason = check.reason;
    if (
      (check.verdict === "degraded" || check.verdict === "unused") && config.verification.rollbackDegraded
    ) {
      const outcome = await rollBack(deps, applied.findingId, actor, bounds);
      rolledBack = outcome.status === 200;
      reason = rolledBack
        ? `rolled back: ${check.reason}`
        : `${check.reason}; its rollback failed: ${String(outcome.body.error ?? outcome.status)}`;
    }
    // 4. record
    const record: ActionCheckRecord = {
      findingId: applied.findingId,
      appliedAt: applied.appliedAt.toISOString(),
      kind,
      checkedAt: now.toISOString(),
      verdict: check.verdict,
      rolledBack,
      estimate,
      measured: check.measured ?? null,
      relativeError: check.relativeError ?? null,
      reason,
    };
    await deps.checks.record(record);
    records.push(record);
  };

  // the builds of one analysis share its window, builds applied at one instant the window since, and the
  // builds on one table its writers: each is read once
  const timesOver = once(
    (window: Window) => deps.checks.statementTimes(dates(window)),
    (window) => `${window.from}/${window.to}`,
  );
  const writersOf = once(
    ({ table, window }: { table: string; window: Window }) =>
      deps.checks.writeStatements(table, dates(window)),
    ({ table, window }) => `${table}|${window.from}/${window.to}`,
  );
  for (const build of builds) {
    const estimate = build.finding.gain;
    const estimateWindow = build.finding.evidence.windows[0];
    if (estimate?.kind !== "estimated" || !estimateWindow || late(build.findingId)) continue;
    // 2. check, the statements that write the table too, from one read of each window's statements
    const afterWindow = { from: build.appliedAt.toISOString(), to: now.toISOString() };
    const before = await timesOver(estimateWindow);
    const after = await timesOver(afterWindow);
    const writers = await writersOf({ table: build.table, window: estimateWindow });
    const check = checkIndexBuild({
      estimate,
      estimateWindow,
      served: servedStatements(build.finding),
      before,
      after,
      afterWindow,
      indexScans: await deps.checks.indexScans(build.table, build.indexName),
      writes: { before: only(before, writers), after: only(after, writers) },
    }, config.verification);
    await settle(build, indexBuildKind, estimate, check);
  }
  for (const budget of budgets) {
    const estimate = budget.finding.gain;
    const stated = budgetedFunctions(budget.finding);
    if (estimate?.kind !== "estimated" || !stated || late(budget.findingId)) continue;
    // 2. check
    const check = checkWarmBudget({
      estimate,
      functions: stated.functions,
      bootMs: stated.bootMs,
      after: await deps.checks.coldStarts(stated.functions.map((f) => f.fn), {
        from: budget.appliedAt,
        to: now,
      }),
      afterWindow: { from: budget.appliedAt.toISOString(), to: now.toISOString() },
    }, config.verification);
    await settle(budget, warmBudgetKind, estimate, check);
  }
  for (const cache of caches) {
    const estimate = cache.finding.gain;
    const estimateWindow = cache.finding.evidence.windows[0];
    if (estimate?.kind !== "estimated" || !estimateWindow || late(cache.findingId)) continue;
    // 2. check
    const check = checkCacheBudget({
      estimate,
      namespace: cache.namespace,
      before: await deps.checks.cacheLookups(cache.namespace, dates(estimateWindow), "analysis"),
      after: await deps.checks.cacheLookups(cache.namespace, { from: cache.appliedAt, to: now }, "since"),
      afterWindow: { from: cache.appliedAt.toISOString(), to: now.toISOString() },
    }, config.verification);
    await settle(cache, cacheBudgetKind, estimate, check);
  }
  return { checks: records, deferred };
}

/** The times of the statements `queryids` among `times`. */
function only(
  times: ReadonlyMap<string, StatementTimes>,
  queryids: readonly string[],
): Map<string, StatementTimes> {
  return new Map(queryids.flatMap((id) => times.has(id) ? [[id, times.get(id)!] as const] : []));
}

/** A finding's window as the stores take it. */
const dates = (window: Window) => ({ from: new Date(window.from), to: new Date(window.to) });

/** `load`, called once per key (`keyOf`): later calls with an equal key share the first one's promise. */
function once<A, T>(load: (arg: A) => Promise<T>, keyOf: (arg: A) => string): (arg: A) => Promise<T> {
  const made = new Map<string, Promise<T>>();
  return (arg) => {
    const key = keyOf(arg);
    if (!made.has(key)) made.set(key, load(arg));
    return made.get(key)!;
  };
}

/** Rolls a finding back, its statements bounded by `bounds` when given. */
async function rollBack(
  deps: VerifyDeps,
  findingId: string,
  actor: string,
  bounds: VerifyBounds | undefined,
) {
  if (!bounds) return rollbackFinding(deps.findings, deps.config, findingId, actor);
  const bounded = bounds.boundedFindings(Math.max(1, Math.floor(bounds.until - bounds.clock())));
  try {
    return await rollbackFinding(bounded.store, deps.config, findingId, actor);
  } finally {
    await bounded.end();
  }
}

/** The estimator's error per action kind over the checks whose latest verdict came on one UTC day. */
export interface EstimatorErrorPoint extends EstimatorError {
  /** The day, `YYYY-MM-DD`. */
  day: string;
}

/**
 * Pure: the estimator's error over time, per action kind and UTC day of each check's latest verdict, oldest
 * first; a day whose checks all await a verdict has no point.
 */
export function estimatorErrorSeries(checks: readonly ActionCheckRecord[]): EstimatorErrorPoint[] {
  const days = [...new Set(checks.map((c) => c.checkedAt.slice(0, 10)))].sort();
  return days.flatMap((day) =>
    estimatorError(checks.filter((c) => c.checkedAt.startsWith(day)))
      .filter((e) => e.checks > 0)
      .map((e) => ({ day, ...e }))
  );
}

/** Pure: the estimator's median relative error per action kind, over `checks` that measured something. */
export function estimatorError(checks: readonly ActionCheckRecord[]): EstimatorError[] {
  const kinds = [...new Set(checks.map((c) => c.kind))].sort();
  return kinds.map((kind) => {
    const errors = checks.flatMap((c) =>
      c.kind === kind && c.relativeError !== null ? [c.relativeError] : []
    );
    return { kind, checks: errors.length, medianRelativeError: errors.length === 0 ? null : median(errors) };
  });
}
