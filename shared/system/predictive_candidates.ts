import type { PlannedPrewarm, PrewarmOptions, PrewarmRejection } from "../buffers/plan_prewarm.ts";
import { planPrewarm } from "../buffers/plan_prewarm.ts";
import { prewarmFinding } from "../buffers/prewarm_finding.ts";
import type { DipLookup, PrewarmStore } from "../buffers/prewarm_store.ts";
import { recentMinutes, type StatementOutlook, statementOutlook } from "../buffers/statement_spikes.ts";
import { forecastDefaults } from "../forecast/forecast.ts";
import { type ForecastStore, statementCalls } from "../forecast/forecast_store.ts";
import { MINUTE_MS } from "../time.ts";
import { durationModel, modelDurationMs, riskPoints, type SystemCandidate } from "./candidate.ts";

/**
 * The predictive module's candidates of a system-wide run: the buffer loads its own run would make now
 * (planPrewarm() under predictiveBufferSettings()), planned from the statement forecasts its last run stored,
 * each weighed as the other modules' actions are. A load saves its slot's disk reads once, in the day ahead,
 * so its gain is a share of the project's statement time over the last day.
 */

/** Where the predictive module's actions are read from. */
export interface PredictiveSource {
  /** The statement forecasts the predictive run stored, and the calls they were made from. */
  forecasts: Pick<ForecastStore, "latestForecasts" | "history">;
  /** Buffer warming's reads. */
  buffers: PrewarmStore;
}

/** The loads planned now, the tables left out, and why nothing is planned. */
export interface PrewarmGathering {
  /** The loads, the most disk reads avoided first. */
  planned: PlannedPrewarm[];
  /** The tables left out, with the reason. */
  rejected: PrewarmRejection[];
  /** Why nothing is planned; null when something is. */
  reason: string | null;
}

/**
 * Plans the loads due at `now`:
 * 1. outlooks: the latest stored forecast of each statement that still reaches `now` (made within the
 *    forecast horizon), with its calls per minute over the hour before it was made;
 * 2. read: the dips, the tables they read and the loads already done (PrewarmStore.readInput());
 * 3. plan: planPrewarm() with the predictive run's settings.
 */
export async function gatherPrewarms(
  source: PredictiveSource,
  now: Date,
  settings: { dips: DipLookup; prewarm: Partial<PrewarmOptions> },
): Promise<PrewarmGathering> {
  // 1. outlooks
  const since = new Date(now.getTime() - forecastDefaults.horizonMinutes * MINUTE_MS);
  const outlooks: StatementOutlook[] = [];
  for (const stored of await source.forecasts.latestForecasts(statementCalls, since)) {
    const series = await source.forecasts.history(
      { ...statementCalls, target: stored.target },
      new Date(stored.madeAt.getTime() - recentMinutes * MINUTE_MS),
      stored.madeAt,
    );
    outlooks.push(statementOutlook(stored.target, series, stored));
  }
  // 2. read
  const { input } = await source.buffers.readInput(now, settings.dips, outlooks);
  // 3. plan
  return planPrewarm(input, settings.prewarm);
}

/** What prewarmCandidate() weighs a load with. */
export interface PrewarmContext {
  /** When the run plans. */
  now: Date;
  /** The dips' settings the load was planned with. */
  dips: Pick<DipLookup, "recurrenceDays" | "slotMinutes">;
  /** The project's statement execution time over the last day, in ms; null when unknown. */
  dayWorkloadMs: number | null;
}

/**
 * Pure: a load as a candidate. Its gain counts in performancePercent only in milliseconds: Postgres times
 * block reads only with track_io_timing on (off by default on Supabase), and a gain in disk blocks says so in
 * gainNote. It takes no disk and adds no writes; pg_prewarm reads its blocks once (durationModel).
 */
export function prewarmCandidate(planned: PlannedPrewarm, context: PrewarmContext): SystemCandidate {
  const finding = prewarmFinding(planned, planned.blocks, context.now, context.dips.recurrenceDays);
  const workload = context.dayWorkloadMs;
  const savedMs = planned.expectedSavedMs;
  return {
    findingId: null,
    module: "predictive",
    finding,
    plan: { kind: "prewarm", planned, slotMinutes: context.dips.slotMinutes },
    gain: finding.gain,
    gainNote: savedMs === null
      ? "its gain is in disk blocks: Postgres times block reads only with track_io_timing on (off by default " +
        "on Supabase), so a run cannot weigh it against the database time; the predictive module's own run " +
        "(POST /predictive/run) loads it"
      : null,
    performancePercent: savedMs !== null && workload !== null && workload > 0
      ? (savedMs / workload) * 100
      : 0,
    costs: {
      storageMb: 0,
      writePercent: 0,
      durationMs: modelDurationMs(planned.blocks * durationModel.blockBytes),
    },
    risk: {
      points: riskPoints.prewarm,
      reason: "loading evicts blocks other queries read, at most maxBufferShare of shared_buffers a run",
    },
    table: planned.relation,
    keys: [],
    configKeys: [],
  };
}
