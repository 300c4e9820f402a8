import { servedStatements } from "../advisor/findings.ts";
import { type ConfigAccess, rollbackFinding } from "../recommendations/apply.ts";
import type { RecommendationStore } from "../recommendations/recommendation_store.ts";
import { median } from "../correlate/statistics.ts";
import type { ActionCheckRecord, CheckStore } from "./check_store.ts";
import type { Window } from "../finding/finding.ts";
import { checkIndexBuild, type StatementTimes } from "./verify_gain.ts";

/**
 * The verification of the actions the suite applied (the indexes applied findings built), run by every
 * system-wide run before it plans and by `POST /optimize-system/verify`:
 *
 * 1. snapshot: the database's counters now, so that the window since each build ends here;
 * 2. check: each build against its estimate (checkIndexBuild());
 * 3. roll back: a build found degraded or unused, when verification.rollbackDegraded allows it, recorded as
 *    a rollback of its finding by the verifying actor;
 * 4. record: each check in optimizer.action_checks, one row per apply, final once not pending.
 */

/** The action kind of an index build, as checks record it. */
export const indexBuildKind = "index-build";

/** What a verification needs. */
export interface VerifyDeps {
  /** The builds, statement times, scans and checks. */
  checks: CheckStore;
  /** The stored findings, for rollbacks. */
  findings: RecommendationStore;
  /** The stored config: verification's settings, and patches undone by rollbacks. */
  config: ConfigAccess;
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

/** Runs a verification as `actor` (see the top of this file); returns this pass's checks. */
export async function verifyAppliedActions(deps: VerifyDeps, actor: string): Promise<ActionCheckRecord[]> {
  const { config } = await deps.config.readConfig();
  const builds = await deps.checks.appliedBuilds();
  if (builds.length === 0) return [];
  // 1. snapshot
  const now = await deps.checks.takeSnapshot();
  // the builds of one analysis share its window: each window's statements are read once, for all of them
  const queryids = [...new Set(builds.flatMap((b) => servedStatements(b.finding).map((s) => s.queryid)))];
  const estimateTimes = new Map<string, Promise<Map<string, StatementTimes>>>();
  const timesOver = (window: Window) => {
    const key = `${window.from}/${window.to}`;
    if (!estimateTimes.has(key)) {
      estimateTimes.set(
        key,
        deps.checks.statementTimes({ from: new Date(window.from), to: new Date(window.to) }, queryids),
      );
    }
    return estimateTimes.get(key)!;
  };
  const records: ActionCheckRecord[] = [];
  for (const build of builds) {
    const estimate = build.finding.gain;
    const estimateWindow = build.finding.evidence.windows[0];
    if (estimate?.kind !== "estimated" || !estimateWindow) continue;
    // 2. check
    const served = servedStatements(build.finding);
    const afterWindow = { from: build.appliedAt.toISOString(), to: now.toISOString() };
    const check = checkIndexBuild({
      estimate,
      estimateWindow,
      served,
      before: await timesOver(estimateWindow),
      after: await deps.checks.statementTimes({ from: build.appliedAt, to: now }, queryids),
      afterWindow,
      indexScans: await deps.checks.indexScans(build.table, build.indexName),
    }, config.verification);
    // 3. roll back what made things worse
    let rolledBack = false;
    let reason = check.reason;
    if (
      (check.verdict === "degraded" || check.verdict === "unused") && config.verification.rollbackDegraded
    ) {
      const outcome = await rollbackFinding(deps.findings, deps.config, build.findingId, actor);
      rolledBack = outcome.status === 200;
      reason = rolledBack
        ? `rolled back: ${check.reason}`
        : `${check.reason}; its rollback failed: ${String(outcome.body.error ?? outcome.status)}`;
    }
    // 4. record
    const record: ActionCheckRecord = {
      findingId: build.findingId,
      appliedAt: build.appliedAt.toISOString(),
      kind: indexBuildKind,
      checkedAt: now.toISOString(),
      verdict: check.verdict,
      rolledBack,
      estimate,
      measured: check.verdict === "pending" ? null : check.measured,
      relativeError: check.verdict === "pending" ? null : check.relativeError,
      reason,
    };
    await deps.checks.record(record);
    records.push(record);
  }
  return records;
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
