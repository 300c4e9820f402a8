import { type DipLookup, type PrewarmStore, type SettledPrewarm } from "../buffers/prewarm_store.ts";
import { planPrewarm, type PrewarmOptions, type PrewarmRejection } from "../buffers/plan_prewarm.ts";
import { type EstimatedGain, estimatedGain, type Finding } from "../finding/finding.ts";
import { prewarmFinding, prewarmRule, prewarmSubject } from "../buffers/prewarm_finding.ts";
import type { ForecastAccuracy } from "../status/status_report.ts";
import { DAY_MS } from "../time.ts";
import { recordedRun } from "../db/run_log.ts";
import type { OptimizationConfig } from "../config/config.ts";
import { correlationAnalyzerDefaults } from "../correlate/correlate.ts";
import { type ForecastStore, isStatementCalls } from "./forecast_store.ts";
import { type StatementOutlook, statementOutlook } from "../buffers/statement_spikes.ts";
import {
  forecastInRun,
  type ForecastRefreshInput,
  type ForecastRefreshSummary,
  resolveForecastRefreshOptions,
} from "./refresh_forecasts.ts";

/**
 * One predictive run (performPredictiveOptimization), recorded as a run of module `predictive`:
 *
 * 1. forecasts: the stored ones scored, new ones made for the busiest series (refresh_forecasts.ts);
 * 2. settle: earlier buffer loads whose slot has passed get the hit ratio that followed;
 * 3. buffers: the tables to load ahead of the coming dip slots whose statements are forecast to spike
 *    (planPrewarm());
 * 4. act: each load, until the deadline; one that cannot be done is skipped with the reason;
 * 5. report: every load as a Finding with its estimated gain and the model behind it, their totals, and the
 *    accuracy of the forecasts scored so far.
 *
 * Function warming and the cache's refresh-ahead are the warmer's (every minute, shared/warm/, shared/cache/).
 */

/** What a run reports. */
export interface PredictiveRunResult {
  /** The run (optimizer.runs). */
  runId: string;
  /** True once the run ended; a run that fails answers with an error instead. */
  success: true;
  /** When the run started (its `now`). */
  startedAt: string;
  /** Every action taken, as a Finding whose gain is an estimate with its model. */
  optimizationsApplied: Finding[];
  /** Actions planned but not taken, with the reason. */
  skipped: { subject: string; reason: string }[];
  /** The applied actions' estimated gains, summed per unit (`ms`, `disk blocks`); empty when none applied. */
  estimatedPerformanceGain: EstimatedGain[];
  /** Each series' accuracy over the forecasts made in the last 7 days and scored since. */
  forecastAccuracy: ForecastAccuracy[];
  /** Whether there is enough history to act on, and why not. */
  history: { enough: boolean; reason: string | null };
  /** Step 1. */
  forecasts: Omit<ForecastRefreshSummary, "runId" | "startedAt">;
  /** Steps 2 to 4. */
  buffers: {
    /** Snapshot intervals judged, the recurring dip slots, and why none recur. */
    dips: { intervals: number; recurringSlots: string[]; reason: string | null };
    /** Why nothing was planned; null when something was. */
    reason: string | null;
    /** Tables left out, with the reason. */
    rejected: PrewarmRejection[];
    /** Earlier loads settled now. */
    settled: SettledPrewarm[];
  };
}

/** The stores a run works on. */
export interface PredictiveRunDeps {
  /** History, forecasts and the run log. */
  forecasts: ForecastStore;
  /** Buffer warming's reads and loads. */
  buffers: PrewarmStore;
}

/** What a run is asked to do. */
export interface PredictiveRunInput extends Omit<ForecastRefreshInput, "options"> {
  /** How the buffer-cache dips are looked for (the correlation analyzer's rule 6 options). */
  dips: DipLookup;
  /** The buffer plan's bounds; its lookahead should cover the time to the next run. */
  prewarm?: Partial<PrewarmOptions>;
}

const forecastAccuracyDays = 7;

/** Minutes past the next run's time a slot may start and still be warmed now: the next run may be late. */
const prewarmMarginMinutes = 5;

/**
 * How buffer warming looks for dips and how far ahead it loads under `config`: the dips the recommendations'
 * correlation finding reports, and the slots starting before the predictive module's next run. A system-wide
 * run plans its loads with the same settings, so that the two plan the same loads and neither repeats the
 * other's (a load is made once per slot occurrence).
 */
export function predictiveBufferSettings(
  config: Pick<OptimizationConfig, "intervals">,
): { dips: DipLookup; prewarm: Pick<PrewarmOptions, "lookaheadMinutes"> } {
  const { minBufferHitRatio, minBlocks, slotMinutes, minRecurrenceDays, recurrenceDays } =
    correlationAnalyzerDefaults;
  return {
    dips: { minBufferHitRatio, minBlocks, slotMinutes, minRecurrenceDays, recurrenceDays },
    prewarm: { lookaheadMinutes: config.intervals.predictiveMinutes + prewarmMarginMinutes },
  };
}

/** Runs steps 1 to 5. */
export async function runPredictive(
  deps: PredictiveRunDeps,
  input: PredictiveRunInput,
): Promise<PredictiveRunResult> {
  const refreshOptions = resolveForecastRefreshOptions();
  const { now } = input;
  return await recordedRun(deps.forecasts, input.trigger, now, async (runId) => {
    // 1. forecasts; the statements' go on to buffer warming
    const statements: StatementOutlook[] = [];
    const { runId: _, startedAt: __, ...forecasts } = await forecastInRun(
      deps.forecasts,
      runId,
      input,
      refreshOptions,
      (target, made) => {
        if (isStatementCalls(target)) {
          statements.push(statementOutlook(target.target, made.series, made.forecast));
        }
      },
    );
    // 2 to 4: buffer warming; its failure (a missing extension, a revoked right) leaves the forecasts standing
    const buffers = await warmBuffers(deps.buffers, runId, input, statements).catch((
      error,
    ): BufferWarming => ({
      applied: [],
      skipped: [],
      report: {
        dips: { intervals: 0, recurringSlots: [], reason: null },
        reason: `buffer warming failed: ${error instanceof Error ? error.message : String(error)}`,
        rejected: [],
        settled: [],
      },
    }));
    // 5. report
    return {
      runId,
      success: true as const,
      startedAt: now.toISOString(),
      optimizationsApplied: buffers.applied,
      skipped: buffers.skipped,
      estimatedPerformanceGain: totalGains(buffers.applied),
      forecastAccuracy: await deps.forecasts.accuracy(
        new Date(now.getTime() - forecastAccuracyDays * DAY_MS),
      ),
      history: historyVerdict(forecasts, buffers.report.dips.intervals, input.dips),
      forecasts,
      buffers: buffers.report,
    };
  });
}

/** What steps 2 to 4 did: the loads, those not done, and the rest of the result's `buffers`. */
interface BufferWarming {
  applied: Finding[];
  skipped: PredictiveRunResult["skipped"];
  report: PredictiveRunResult["buffers"];
}

/** Steps 2 to 4. */
async function warmBuffers(
  store: PrewarmStore,
  runId: string,
  input: PredictiveRunInput,
  statements: readonly StatementOutlook[],
): Promise<BufferWarming> {
  const { now } = input;
  // 2. settle earlier loads
  const settled = await store.settle(now);
  // 3. plan the loads
  const { input: planInput, report } = await store.readInput(now, input.dips, statements);
  const plan = planPrewarm(planInput, input.prewarm);
  // 4. act until the deadline
  const applied: Finding[] = [];
  const skipped: BufferWarming["skipped"] = [];
  for (const planned of plan.planned) {
    const subject = prewarmSubject(planned);
    if (Date.now() >= input.deadlineMs) {
      skipped.push({ subject, reason: "the run's deadline (limits.maxRunDurationSeconds) passed first" });
      continue;
    }
    try {
      const { blocksLoaded } = await store.load(runId, planned, input.dips.slotMinutes, now);
      applied.push(prewarmFinding(planned, blocksLoaded, now, input.dips.recurrenceDays));
    } catch (error) {
      skipped.push({ subject, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return {
    applied,
    skipped,
    report: {
      dips: {
        intervals: report.intervals,
        recurringSlots: report.recurring.map((s) => s.slot),
        reason: report.reason,
      },
      reason: plan.reason,
      rejected: plan.rejected,
      settled,
    },
  };
}

/** The applied findings' estimated gains summed per unit. */
function totalGains(applied: Finding[]): EstimatedGain[] {
  const byUnit = new Map<string, number>();
  for (const finding of applied) {
    if (finding.gain) {
      byUnit.set(finding.gain.unit, (byUnit.get(finding.gain.unit) ?? 0) + finding.gain.value);
    }
  }
  return [...byUnit].map(([unit, value]) =>
    estimatedGain(
      Math.round(value * 10) / 10,
      unit,
      `the sum of the ${prewarmRule} findings' estimates (each finding names its model)`,
    )
  );
}

/** Whether the run had enough history: forecasts need a series with events, buffer warming recurring days. */
function historyVerdict(
  forecasts: PredictiveRunResult["forecasts"],
  snapshotIntervals: number,
  dips: DipLookup,
): PredictiveRunResult["history"] {
  const missing: string[] = [];
  if (forecasts.forecasts.length === 0) {
    missing.push("no series of the metric store had events to forecast from");
  }
  if (snapshotIntervals === 0) {
    missing.push(
      `no database snapshots to find buffer-cache dips in: they recur only after ${dips.minRecurrenceDays} days ` +
        "of snapshots (the optimizer-db-snapshot job)",
    );
  }
  return { enough: missing.length === 0, reason: missing.length === 0 ? null : missing.join("; ") };
}
