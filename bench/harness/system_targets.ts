/**
 * The targets of the system-wide run (`optimize-system`) the harness checks in one `npm run bench`:
 * - with a slow database (system_deadline.ts), it ends within maxDurationMs plus 10 %;
 * - every run before an `optimized` repeat reaches its targetGainPercent or says why not;
 * - the suite's own checks of what each run applied (`POST /optimize-system/verify` after the replay) put the
 *   estimator's median relative error, per action kind, at most 25 %.
 * Beside them, each run's estimate stands next to what its repeat measured: the estimated share of the
 * database time its actions save, against 1 − the app DB time of `optimized` over `baseline`'s.
 */
import { estimatorError } from "../../shared/mod.ts";
import type { PairedRatio } from "../stats/paired.ts";
import type { TargetCheck } from "./index_targets.ts";
import type { SystemRunReport } from "./suite_recommendations.ts";
import type { SystemDeadlineCheck } from "./system_deadline.ts";

/** The thresholds the targets are stated with. */
export const systemTargets = {
  /** Longest a run may take against its maxDurationMs. */
  deadlineRatio: 1.1,
  /** The estimator's median relative error per action kind, in the suite's checks. */
  maxRelativeError: 0.25,
} as const;

/** One repeat: the run's estimate and the gain the repeat measured, both in percent of the app DB time. */
export interface GainPair {
  repeat: number;
  estimatedPercent: number;
  measuredPercent: number;
  /** |estimated − measured| / measured; null when nothing was measured. */
  relativeError: number | null;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Pure: each repeat's estimate next to its measurement. `runs` are the system-wide runs before the `optimized`
 * repeats in order (repeat 0 first); `appDbTime` is the paired ratio of optimized over baseline app DB time.
 */
export function gainPairs(runs: readonly SystemRunReport[], appDbTime: PairedRatio): GainPair[] {
  return appDbTime.pairs.flatMap((pair) => {
    const run = runs[pair.repeat];
    if (!run || pair.ratio === null) return [];
    const measuredPercent = (1 - pair.ratio) * 100;
    return [{
      repeat: pair.repeat,
      estimatedPercent: run.estimatedGainPercent,
      measuredPercent: round(measuredPercent),
      relativeError: measuredPercent > 0
        ? round(Math.abs(run.estimatedGainPercent - measuredPercent) / measuredPercent, 3)
        : null,
    }];
  });
}

/** A run's target verdict in words, `none` without a target: whether it was reached, and why not. */
export function targetText(run: Pick<SystemRunReport, "target">, none: string): string {
  return run.target === null
    ? none
    : `${run.target.reached ? "reached" : "not reached"}: ${run.target.reason}`;
}

/** Pure: the three targets (see the top of this file). */
export function checkSystemTargets(
  runs: readonly SystemRunReport[],
  deadline: SystemDeadlineCheck,
): TargetCheck[] {
  const explained = runs.filter((r) => r.target !== null && (r.target.reached || r.target.reason.length > 0));
  const errors = estimatorError(runs.flatMap((r) => r.checks));
  const checks = runs.flatMap((r) => r.checks);
  return [
    {
      target:
        `optimize-system with every statement ${deadline.delayMs} ms slower ends within maxDurationMs ` +
        `(${deadline.maxDurationMs} ms) + ${Math.round((systemTargets.deadlineRatio - 1) * 100)} %`,
      measured:
        `${deadline.roundTripMs} ms (${deadline.ratio} of maxDurationMs); applied ${deadline.applied}, ` +
        `skipped ${JSON.stringify(deadline.skipped)}${
          deadline.stoppedEarly ? `; ${deadline.stoppedEarly}` : ""
        }`,
      met: deadline.ratio <= systemTargets.deadlineRatio,
    },
    {
      target: "every system-wide run reaches targetGainPercent or says why not",
      measured: [...new Set(runs.map((r) => targetText(r, "no target")))].join("; "),
      met: runs.length > 0 && explained.length === runs.length,
    },
    {
      target: `the suite's checks of the applied actions: the estimator's median relative error ≤ ${
        systemTargets.maxRelativeError * 100
      } % per action kind`,
      measured: [
        ...errors.map((e) =>
          `${e.kind}: ${
            e.medianRelativeError === null ? "nothing measured" : `${round(e.medianRelativeError * 100)} %`
          } over ${e.checks} check(s)`
        ),
        ...checks.map((c) =>
          `${c.verdict}: ${c.estimate.value} ms estimated, ${
            c.measured ? `${c.measured.value} ms` : "–"
          } measured`
        ),
      ].join("; ") || "no check",
      met: errors.length > 0 &&
        errors.every((e) =>
          e.medianRelativeError !== null && e.medianRelativeError <= systemTargets.maxRelativeError
        ),
    },
  ];
}
