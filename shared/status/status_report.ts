import { type ModuleName, moduleNames, type OptimizationConfig } from "../config/config.ts";
import { createFinding, type Finding, type Window } from "../finding/finding.ts";
import { type ActionCheckRecord, checkRecordOf, type CheckRow } from "../system/check_store.ts";
import {
  type EstimatorError,
  estimatorError,
  type EstimatorErrorPoint,
  estimatorErrorSeries,
} from "../system/verify_actions.ts";
import { DAY_SECONDS, MINUTE_SECONDS, SECOND_MS } from "../time.ts";
import { nextCronRun } from "./next_cron_run.ts";
import { type RateSeriesRow, type RateTrend, rateTrends } from "./rate_trend.ts";

/**
 * The `GET /functions/v1/status` answer, built from optimizer.status_overview() and the config: which modules
 * are on and when they last ran, data volumes, and whether the metric pipeline (pg_cron rollup and snapshot
 * jobs) is keeping up, judged against config.alerts.pipelineStaleMinutes. Every pipeline problem is a Finding
 * (system 'overall': the suite's own machinery) in the answer's `findings`.
 */

/** optimizer.status_overview() as the SQL builds it (snake_case; timestamps as ISO text). */
export interface StatusOverview {
  /** When the overview was taken. */
  generated_at?: string;
  /** Data volumes by name, e.g. events_estimate, event_partitions, events_pending_rollup. */
  volumes?: Record<string, unknown>;
  /** The newest rolled-up minute, its age and the id of the last event rolled up (watermark). */
  rollups?: { newest_minute: string | null; age_seconds?: number | null; watermark?: number | string | null };
  /** When the newest database snapshot was taken, and its age. */
  snapshots?: { newest_at: string | null; age_seconds?: number | null };
  /** The suite's pg_cron jobs with their last run. */
  cron_jobs?: CronJobRow[];
  /** Each module's last run, by module name; absent for a module that never ran. */
  modules?: Partial<Record<string, RunRow>>;
  /** Each forecast target's accuracy over the last 7 days (optimizer.forecast_accuracy()). */
  forecasts?: ForecastAccuracyRow[];
  /** Each warm target's pings and cold starts over the last 24 hours (optimizer.warm_activity()). */
  warming?: WarmActivityRow[];
  /** The buffer loads of the last 7 days (optimizer.buffer_activity()). */
  buffer_loads?: BufferLoadRow[];
  /** Each cache namespace's last 24 hours (optimizer.cache_activity()). */
  caching?: CacheActivityRow[];
  /** Each circuit breaker now and over the last 24 hours (optimizer.breaker_activity()). */
  breakers?: BreakerActivityRow[];
  /** The alerts open now or cleared in the last 24 hours (optimizer.alert_activity()). */
  alerts?: AlertRow[];
  /** The checks of applied actions of the last 30 days (optimizer.action_activity()). */
  actions?: ActionCheckRow[];
  /** optimizer.rate_series() of the last 24 hours. */
  rates?: RateSeriesRow[];
}

/** A check of an applied action as optimizer.action_activity() gives it; see ActionCheck. */
export interface ActionCheckRow extends CheckRow {
  /** The finding's rule. */
  rule: string;
  /** What it is about. */
  subject: string;
}

/** An alert as optimizer.alert_activity() gives it; see Alert. */
export interface AlertRow {
  /** What crossed its threshold. */
  rule: string;
  /** What it is about. */
  subject: string;
  /** The figure when last evaluated. */
  value: number | null;
  /** The threshold it crossed. */
  threshold: number | null;
  /** When it was raised. */
  raised_at: string;
  /** When it was last seen holding. */
  last_seen_at: string;
  /** When it ended; null while open. */
  cleared_at: string | null;
}

/** A circuit breaker as optimizer.breaker_activity() gives it; see BreakerActivity. Counts are bigints. */
export interface BreakerActivityRow {
  /** The breaker's name (the dependency). */
  name: string;
  /** The circuit as the isolates last wrote it; null when only its events are known. */
  state: "open" | "closed" | null;
  /** When it was last written. */
  since: string | null;
  /** The earliest time an isolate may send the open circuit's probe; null while closed. */
  next_probe_at: string | null;
  /** Transitions to open. */
  openings: number | string;
  /** Transitions of every kind. */
  transitions: number | string;
  /** Calls it rejected. */
  rejected: number | string;
}

/** A cache namespace as optimizer.cache_activity() gives it; see CacheActivity. Counts are bigints. */
export interface CacheActivityRow {
  /** The namespace. */
  namespace: string;
  /** Lookups. */
  lookups: number | string;
  /** Lookups a tier answered. */
  hits: number | string;
  /** Reloads by refresh-ahead. */
  refreshes: number | string;
  /** Reloads that failed. */
  refresh_failures: number | string;
  /** Entries evicted for size. */
  evictions: number | string;
  /** Entries the shared tier holds of it now. */
  entries: number | string;
  /** Bytes of their values. */
  bytes: number | string;
  /** Its named loader; null when none is registered. */
  loader: { function_name: string | null; endpoint: string | null; enabled: boolean } | null;
}

/** A buffer load as optimizer.buffer_activity() gives it; see BufferLoad. Block counts are bigints. */
export interface BufferLoadRow {
  /** The table, `schema.table`. */
  relation: string;
  /** The dip slot, `hh:mm` UTC. */
  slot: string;
  /** The slot occurrence loaded for. */
  slot_starts_at: string;
  /** When it was loaded. */
  loaded_at: string;
  /** Blocks pg_prewarm read. */
  blocks_loaded: number | string;
  /** Blocks expected to be read from memory instead of disk in the slot. */
  expected_blocks_avoided: number | string;
  /** That in ms; null without measured read times. */
  expected_saved_ms: number | null;
  /** When what followed was recorded; null until then. */
  settled_at: string | null;
  /** The database's hit ratio over the slot; null until settled or without snapshots. */
  hit_ratio_after: number | null;
  /** Blocks the table still read from disk in the slot; null until settled or without snapshots. */
  blocks_read_after: number | string | null;
}

/** A warm target's last 24 hours as optimizer.warm_activity() gives it; see WarmActivity. Counts are bigints. */
export interface WarmActivityRow {
  /** The function. */
  function_name: string;
  /** `suite` or `app`. */
  source: string;
  /** Whether the warmer may ping it. */
  enabled: boolean;
  /** Pings planned. */
  planned: number | string;
  /** Pings sent. */
  sent: number | string;
  /** Pings dropped unsent because a request came first. */
  dropped: number | string;
  /** Pings that found a cold worker. */
  found_cold: number | string;
  /** Pings that failed. */
  failed: number | string;
  /** The cold starts the planned pings were expected to avoid, summed. */
  expected_cold_starts_avoided: number;
  /** When the last ping was sent; null when none was. */
  last_sent_at: string | null;
  /** Requests the function served (the rollups). */
  requests: number | string;
  /** Requests that met a cold start. */
  cold_starts: number | string;
}

/** A forecast target's accuracy as optimizer.forecast_accuracy() gives it; see ForecastAccuracy. */
export interface ForecastAccuracyRow {
  /** The series' system. */
  system: string;
  /** The series' target. */
  target: string;
  /** The series' kind. */
  kind: string;
  /** Scored forecasts. */
  forecasts: number;
  /** Forecast minutes scored. */
  minutes: number;
  /** Mean absolute error of the forecasts. */
  mae: number;
  /** Mean absolute error of the reference over the same minutes. */
  reference_mae: number;
  /** mae / reference_mae; null when the reference made no error. */
  mase: number | null;
  /** Share of the outcomes inside the intervals; null without intervals. */
  coverage: number | null;
  /** The latest forecast's model. */
  model: string;
  /** The latest forecast's reference. */
  reference: string;
}

/** How well a series was forecast over the last 7 days. */
export interface ForecastAccuracy {
  /** The series: system, target and kind of the metric store's rollups. */
  system: string;
  /** The series' target, e.g. a function's name. */
  target: string;
  /** The series' kind, e.g. request. */
  kind: string;
  /** Scored forecasts. */
  forecasts: number;
  /** Forecast minutes scored (a minute counts once per forecast that covered it). */
  minutes: number;
  /** Mean absolute error of the forecasts, in events per minute. */
  mae: number;
  /** Mean absolute error of the reference (seasonal naive or last value) over the same minutes. */
  referenceMae: number;
  /** mae / referenceMae: below 1 beats the reference; null when the reference made no error. */
  mase: number | null;
  /** Share of the outcomes inside the forecasts' intervals; null without intervals. */
  coverage: number | null;
  /** The latest forecast's model. */
  model: string;
  /** The latest forecast's reference. */
  reference: string;
}

/** A row of optimizer.forecast_accuracy() as the API shows it. */
export function forecastAccuracyOf(row: ForecastAccuracyRow): ForecastAccuracy {
  return {
    system: row.system,
    target: row.target,
    kind: row.kind,
    forecasts: Number(row.forecasts),
    minutes: Number(row.minutes),
    mae: row.mae,
    referenceMae: row.reference_mae,
    mase: row.mase,
    coverage: row.coverage,
    model: row.model,
    reference: row.reference,
  };
}

/** A pg_cron job of the overview (cron.job with its last run in cron.job_run_details); see CronJob. */
export interface CronJobRow {
  /** cron.job.jobname. */
  jobname: string;
  /** The job's cron schedule. */
  schedule: string;
  /** Whether pg_cron runs the job. */
  active: boolean;
  /** The last run's status (e.g. succeeded, failed); null when it never ran. */
  last_status: string | null;
  /** When the last run started. */
  last_start: string | null;
  /** When the last run ended. */
  last_end: string | null;
  /** The last run's return message (the error when it failed). */
  last_message: string | null;
  /** Failed runs in the last 24 hours (bigint: may arrive as a string). */
  failures_24h: number | string;
}

/** A row of optimizer.runs as the overview gives it; see LastRun. */
export interface RunRow {
  /** What started the run (e.g. cron or api). */
  trigger: string;
  /** The run's status. */
  status: string;
  /** When the run started. */
  started_at: string;
  /** When it finished; null while it runs. */
  finished_at: string | null;
  /** The module's own account of the run. */
  summary: unknown;
  /** Why it failed; null unless it did. */
  error: string | null;
}

/** A module's last run in the status report. */
export interface LastRun {
  /** What started the run (e.g. cron or api). */
  trigger: string;
  /** The run's status. */
  status: string;
  /** When the run started: an ISO date-time. */
  startedAt: string;
  /** When it finished; null while it runs. */
  finishedAt: string | null;
  /** The module's own account of the run. */
  summary: unknown;
  /** Why it failed; null unless it did. */
  error: string | null;
}

/** One of the suite's pg_cron jobs in the status report. */
export interface CronJob {
  /** The job's name, e.g. optimizer-rollup. */
  name: string;
  /** The job's cron schedule. */
  schedule: string;
  /** Whether pg_cron runs the job. */
  active: boolean;
  /** The last run's status (e.g. succeeded, failed); null when it never ran. */
  lastStatus: string | null;
  /** When the last run started; null when it never ran. */
  lastStart: string | null;
  /** The last run's return message (the error when it failed). */
  lastMessage: string | null;
  /** Failed runs in the last 24 hours. */
  failures24h: number;
  /** When pg_cron next starts it (nextCronRun()); null when inactive or its schedule cannot be read. */
  nextRunAt: string | null;
}

/** Whether the metric pipeline keeps up; every problem found is also a Finding of the report. */
export interface PipelineHealth {
  /** Age of the newest rolled-up minute; null when nothing was rolled up yet. */
  newestRollupAgeSeconds: number | null;
  /** Age of the newest database snapshot; null when there is none. */
  newestSnapshotAgeSeconds: number | null;
  /** Events stored but not yet rolled up; null when unknown. */
  eventsPendingRollup: number | null;
  /** The suite's pg_cron jobs. */
  cronJobs: CronJob[];
  /** Failed runs of those jobs in the last 24 hours, all together. */
  cronFailures24h: number;
  /** True when the pipeline checks found nothing. */
  healthy: boolean;
}

/** The `GET /functions/v1/status` answer. */
export interface StatusReport {
  /** Every module, whether the config turns it on, and its last run (null: never ran). */
  modules: { name: ModuleName; enabled: boolean; lastRun: LastRun | null }[];
  /** The config in force, every setting explicit. */
  config: OptimizationConfig;
  /** Data volumes as the overview gives them. */
  volumes: Record<string, unknown>;
  /** Whether the metric pipeline keeps up. */
  pipeline: PipelineHealth;
  /** Every pipeline problem found, as Findings; empty when the pipeline is healthy. */
  findings: Finding[];
  /** Each forecast series' accuracy over the last 7 days, scored once its minutes had happened. */
  forecasts: ForecastAccuracy[];
  /** Each warm target's pings over the last 24 hours beside the cold starts its users met. */
  warming: WarmActivity[];
  /** The predictive run's buffer loads of the last 7 days, newest first: what each expected, and what followed. */
  bufferLoads: BufferLoad[];
  /** Each cache namespace over the last 24 hours: hit rate, refresh-ahead's reloads, evictions, size, loader. */
  caching: CacheActivity[];
  /** Each circuit breaker (shared/resilience/): its circuit now, and its openings and rejected calls in 24 hours. */
  breakers: BreakerActivity[];
  /**
   * Degradations past the config's `alerts` thresholds (optimizer.evaluate_alerts(), every minute): each raised
   * once, open while it lasts, cleared when it ends. The open ones, then those cleared in the last 24 hours.
   */
  alerts: { open: Alert[]; cleared: Alert[] };
  /**
   * Effectiveness: each action applied in the last 30 days, its estimated gain against the gain its check
   * measured (shared/system/verify_actions.ts), and the estimator's median relative error per action kind.
   */
  actions: { checks: ActionCheck[]; estimatorError: EstimatorError[] };
  /**
   * Trends, measured: each function's cold starts per request and each cache namespace's hit rate per hour of
   * the last 24 hours, with their direction (shared/status/rate_trend.ts); the estimator's error per action kind
   * per day of the last 30.
   */
  trends: { coldStartRate: RateTrend[]; cacheHitRate: RateTrend[]; estimatorError: EstimatorErrorPoint[] };
}

/** The latest check of one applied action. */
export interface ActionCheck extends ActionCheckRecord {
  /** The finding's rule. */
  rule: string;
  /** What it is about. */
  subject: string;
}

/** A degradation past one of the config's `alerts` thresholds. */
export interface Alert {
  /** What crossed its threshold: `alert.error-rate`, `alert.cold-start-rate`, `alert.cache-hit-rate` or `alert.breaker-open`. */
  rule: string;
  /** What it is about, e.g. `edge:robots`, `cache:market-data.quote`, `breaker:upstream-quotes`. */
  subject: string;
  /** The figure over the last 5 minutes when last evaluated (null for an open breaker). */
  value: number | null;
  /** The config's threshold it crossed (null for an open breaker). */
  threshold: number | null;
  /** When it was raised (ISO 8601). */
  raisedAt: string;
  /** When it was last seen holding. */
  lastSeenAt: string;
  /** When it ended; null while open. */
  clearedAt: string | null;
}

/** A circuit breaker in the status report. */
export interface BreakerActivity {
  /** The breaker's name (the dependency). */
  name: string;
  /** The circuit as the isolates last wrote it; null when only its events are known. */
  state: "open" | "closed" | null;
  /** When it was last written (ISO 8601). */
  since: string | null;
  /** The earliest time an isolate may send the open circuit's probe; null while closed. */
  nextProbeAt: string | null;
  /** Transitions to open in the last 24 hours. */
  openings24h: number;
  /** Transitions of every kind in the last 24 hours. */
  transitions24h: number;
  /** Calls it rejected in the last 24 hours, without calling the dependency. */
  rejected24h: number;
}

/** A cache namespace over the last 24 hours, as the metric store's rollups and the shared tier have it. */
export interface CacheActivity {
  /** The namespace. */
  namespace: string;
  /** Lookups (both tiers). */
  lookups: number;
  /** Lookups a tier answered. */
  hits: number;
  /** hits / lookups; null without lookups. */
  hitRate: number | null;
  /** Entries refresh-ahead reloaded. */
  refreshes: number;
  /** Of those, reloads that failed (the loader's error or timeout). */
  refreshFailures: number;
  /** Entries evicted for size (limits.cacheSizeBudgetMb). */
  evictions: number;
  /** Entries the shared tier holds now. */
  entries: number;
  /** Bytes of their values. */
  bytes: number;
  /** Its named loader (a Postgres function or an app endpoint); null when none is registered. */
  loader: { functionName: string | null; endpoint: string | null; enabled: boolean } | null;
}

/** A table the predictive run loaded into shared buffers ahead of a dip slot. */
export interface BufferLoad {
  /** The table, `schema.table`. */
  relation: string;
  /** The dip slot, `hh:mm` UTC. */
  slot: string;
  /** The slot occurrence loaded for. */
  slotStartsAt: string;
  /** When it was loaded. */
  loadedAt: string;
  /** Blocks pg_prewarm read. */
  blocksLoaded: number;
  /** Blocks expected to be read from memory instead of disk in the slot: the plan's estimate. */
  expectedBlocksAvoided: number;
  /** That in ms; null without measured read times (track_io_timing). */
  expectedSavedMs: number | null;
  /** When what followed was recorded; null until the slot has passed and a snapshot covers it. */
  settledAt: string | null;
  /** The database's buffer-cache hit ratio over the slot, measured; null until settled. */
  hitRatioAfter: number | null;
  /** Blocks the table still read from disk in the slot, measured; null until settled. */
  blocksReadAfter: number | null;
}

/** What the warmer did for one function over the last 24 hours, and what the function's users met. */
export interface WarmActivity {
  /** The function. */
  functionName: string;
  /** `suite` for the suite's own functions, `app` for the app's. */
  source: string;
  /** Whether the warmer may ping it. */
  enabled: boolean;
  /** Pings planned. */
  planned: number;
  /** Pings sent (a planned ping whose run ended first is not). */
  sent: number;
  /** Pings dropped unsent because a request reached the function first. */
  dropped: number;
  /** Pings that found no live worker and booted one. */
  foundCold: number;
  /** Pings that failed (no answer in time, not a warm-up answer). */
  failed: number;
  /** The cold starts the planned pings not dropped were expected to avoid, summed: the planner's estimate. */
  expectedColdStartsAvoided: number;
  /** When the last ping was sent; null when none was. */
  lastSentAt: string | null;
  /** Requests the function served, measured (the metric store's rollups). */
  requests: number;
  /** Requests that met a cold start, measured. */
  coldStarts: number;
}

/**
 * The pg_cron jobs the migrations schedule; the pipeline is unhealthy without any of them. optimizer-recommendations,
 * optimizer-predictive, optimizer-warmer and optimizer-system-wide run whether or not their module is on (each checks its module every minute), so
 * they must exist too.
 */
export const pipelineJobs = [
  "optimizer-rollup",
  "optimizer-db-snapshot",
  "optimizer-retention",
  "optimizer-ingest-prune",
  "optimizer-index-usage",
  "optimizer-recommendations",
  "optimizer-predictive",
  "optimizer-cache-evict",
  "optimizer-warmer",
  "optimizer-alerts",
  "optimizer-system-wide",
] as const;

const ageSeconds = (at: string | null | undefined, now: Date) =>
  at ? Math.max(0, Math.round((now.getTime() - Date.parse(at)) / SECOND_MS)) : null;

const minutesText = (seconds: number) => `${Math.round(seconds / MINUTE_SECONDS)} min`;

/** The window from `seconds` before `now` to `now`. */
const windowBefore = (now: Date, seconds: number): Window => ({
  from: new Date(now.getTime() - seconds * SECOND_MS).toISOString(),
  to: now.toISOString(),
});

const jobSeries = (name: string) => `cron.job_run_details(${name})`;

/** A pipeline Finding: about the suite itself (system 'overall'), never with a gain, never applied by itself. */
function pipelineFinding(
  fields: Pick<Finding, "rule" | "subject" | "severity" | "title" | "detail" | "evidence" | "action">,
): Finding {
  return createFinding({ system: "overall", gain: null, autoApplicable: false, ...fields });
}

/**
 * Judges the pipeline. Staleness is measured on the jobs' last runs, not on the newest data: a quiet project
 * has no new events, and that is not a fault. A job failing now (its last run) is a finding; failures earlier
 * in the last 24 h are only counted.
 */
export function pipelineHealth(
  overview: StatusOverview,
  config: OptimizationConfig,
  now: Date,
): { health: PipelineHealth; findings: Finding[] } {
  const staleSeconds = config.alerts.pipelineStaleMinutes * MINUTE_SECONDS;
  const cronJobs: CronJob[] = (overview.cron_jobs ?? []).map((job) => ({
    name: job.jobname,
    schedule: job.schedule,
    active: job.active,
    lastStatus: job.last_status,
    lastStart: job.last_start,
    lastMessage: job.last_message,
    failures24h: Number(job.failures_24h ?? 0),
    nextRunAt: nextCronRun({ schedule: job.schedule, active: job.active, lastStart: job.last_start }, now),
  }));
  const pending = overview.volumes?.events_pending_rollup;
  const eventsPendingRollup = pending == null ? null : Number(pending);
  const newestRollupAgeSeconds = ageSeconds(overview.rollups?.newest_minute, now);
  const newestSnapshotAgeSeconds = ageSeconds(overview.snapshots?.newest_at, now);
  const findings: Finding[] = [];

  for (const name of pipelineJobs) {
    const job = cronJobs.find((candidate) => candidate.name === name);
    const subject = `cron.job:${name}`;
    if (!job) {
      findings.push(pipelineFinding({
        rule: "pipeline.job-missing",
        subject,
        severity: "critical",
        title: `pg_cron job ${name} does not exist`,
        detail: `pg_cron job ${name} does not exist: apply the migrations again (supabase db push)`,
        evidence: { series: ["cron.job"], windows: [], statistic: { name: "job found", value: false } },
        action: { kind: "guidance", text: "apply the migrations again (supabase db push)" },
      }));
    } else if (!job.active) {
      findings.push(pipelineFinding({
        rule: "pipeline.job-inactive",
        subject,
        severity: "critical",
        title: `pg_cron job ${name} is inactive`,
        detail: `pg_cron job ${name} is inactive: select cron.alter_job(jobid, active := true) for it`,
        evidence: { series: ["cron.job"], windows: [], statistic: { name: "active", value: false } },
        action: {
          kind: "sql",
          sql: `select cron.alter_job(j.jobid, active := true) from cron.job j where j.jobname = '${name}';`,
          rollback:
            `select cron.alter_job(j.jobid, active := false) from cron.job j where j.jobname = '${name}';`,
        },
      }));
    } else if (job.lastStatus === "failed") {
      findings.push(pipelineFinding({
        rule: "pipeline.job-failing",
        subject,
        severity: "critical",
        title: `pg_cron job ${name} failed on its last run`,
        detail: `pg_cron job ${name} failed on its last run at ${job.lastStart}: ${
          job.lastMessage ?? "no message"
        }`,
        evidence: {
          series: [jobSeries(name)],
          windows: [windowBefore(now, DAY_SECONDS)],
          statistic: { name: "failed runs in the last 24 h", value: job.failures24h, unit: "runs" },
        },
        action: {
          kind: "guidance",
          text:
            `read the failing run's message in cron.job_run_details and fix its cause; the job runs again ` +
            `on its schedule (${job.schedule})`,
        },
      }));
    }
  }

  const rollup = cronJobs.find((job) => job.name === "optimizer-rollup");
  const rollupRunAge = ageSeconds(rollup?.lastStart, now);
  if (rollup?.active && (rollupRunAge === null || rollupRunAge > staleSeconds)) {
    findings.push(pipelineFinding({
      rule: "pipeline.rollup-stale",
      subject: "cron.job:optimizer-rollup",
      severity: "critical",
      title: rollupRunAge === null ? "optimizer-rollup has never run" : "optimizer-rollup stopped running",
      detail: rollupRunAge === null
        ? "optimizer-rollup has never run: is pg_cron running in this database (cron.database_name)?"
        : `optimizer-rollup last ran ${minutesText(rollupRunAge)} ago (every minute expected, alert after ` +
          `${config.alerts.pipelineStaleMinutes} min): is pg_cron running?`,
      evidence: {
        series: [jobSeries("optimizer-rollup")],
        windows: rollupRunAge === null ? [] : [windowBefore(now, rollupRunAge)],
        statistic: { name: "seconds since the last run", value: rollupRunAge, unit: "s" },
      },
      action: {
        kind: "guidance",
        text: "check that pg_cron's background worker runs and that cron.database_name is this database",
      },
    }));
  }
  if (
    eventsPendingRollup !== null && eventsPendingRollup > 0 &&
    (newestRollupAgeSeconds === null || newestRollupAgeSeconds > staleSeconds) && rollupRunAge !== null &&
    rollupRunAge <= staleSeconds
  ) {
    findings.push(pipelineFinding({
      rule: "pipeline.rollup-stuck",
      subject: "optimizer.metric_rollups",
      severity: "critical",
      title: "events wait for a rollup that produces nothing new",
      detail: `${eventsPendingRollup} events wait for the rollup, but the newest rolled-up minute is ` +
        `${newestRollupAgeSeconds === null ? "missing" : `${minutesText(newestRollupAgeSeconds)} old`}: ` +
        "see optimizer.runs where module = 'monitoring' for the rollup's errors",
      evidence: {
        series: ["optimizer.metric_events", "optimizer.metric_rollups"],
        windows: newestRollupAgeSeconds === null ? [] : [windowBefore(now, newestRollupAgeSeconds)],
        statistic: { name: "events pending rollup", value: eventsPendingRollup, unit: "events" },
      },
      action: {
        kind: "guidance",
        text: "see optimizer.runs where module = 'monitoring' for the rollup's errors",
      },
    }));
  }

  const snapshotLimitSeconds = Math.max(
    staleSeconds,
    2 * config.intervals.snapshotMinutes * MINUTE_SECONDS,
  );
  const snapshotJob = cronJobs.find((job) => job.name === "optimizer-db-snapshot");
  if (snapshotJob?.active && snapshotJob.lastStart && newestSnapshotAgeSeconds === null) {
    findings.push(pipelineFinding({
      rule: "pipeline.snapshot-missing",
      subject: "optimizer.db_snapshots",
      severity: "critical",
      title: "no database snapshot exists",
      detail: "optimizer-db-snapshot has run but no database snapshot exists: see its last message in cron",
      evidence: {
        series: ["optimizer.db_snapshots", jobSeries("optimizer-db-snapshot")],
        windows: [],
        statistic: { name: "snapshots", value: 0, unit: "snapshots" },
      },
      action: { kind: "guidance", text: "read optimizer-db-snapshot's last message in cron.job_run_details" },
    }));
  } else if (newestSnapshotAgeSeconds !== null && newestSnapshotAgeSeconds > snapshotLimitSeconds) {
    findings.push(pipelineFinding({
      rule: "pipeline.snapshot-stale",
      subject: "optimizer.db_snapshots",
      severity: "warning",
      title: "the newest database snapshot is old",
      detail: `the newest database snapshot is ${minutesText(newestSnapshotAgeSeconds)} old ` +
        `(alert after ${minutesText(snapshotLimitSeconds)}): check the optimizer-db-snapshot job`,
      evidence: {
        series: ["optimizer.db_snapshots"],
        windows: [windowBefore(now, newestSnapshotAgeSeconds)],
        statistic: { name: "age of the newest snapshot", value: newestSnapshotAgeSeconds, unit: "s" },
      },
      action: { kind: "guidance", text: "check that the optimizer-db-snapshot job is active and succeeds" },
    }));
  }

  return {
    health: {
      newestRollupAgeSeconds,
      newestSnapshotAgeSeconds,
      eventsPendingRollup,
      cronJobs,
      cronFailures24h: cronJobs.reduce((sum, job) => sum + job.failures24h, 0),
      healthy: findings.length === 0,
    },
    findings,
  };
}

function lastRun(row: RunRow | undefined): LastRun | null {
  if (!row) return null;
  return {
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    summary: row.summary,
    error: row.error,
  };
}

/** The status report from an overview and the config in force, judged at `now`; reads nothing itself. */
export function statusReport(overview: StatusOverview, config: OptimizationConfig, now: Date): StatusReport {
  const { health, findings } = pipelineHealth(overview, config, now);
  const checks = (overview.actions ?? []).map((row): ActionCheck => ({
    ...checkRecordOf(row),
    rule: row.rule,
    subject: row.subject,
  }));
  return {
    modules: moduleNames.map((name) => ({
      name,
      enabled: config.modules[name],
      lastRun: lastRun(overview.modules?.[name]),
    })),
    config,
    volumes: overview.volumes ?? {},
    pipeline: health,
    findings,
    forecasts: (overview.forecasts ?? []).map(forecastAccuracyOf),
    warming: (overview.warming ?? []).map((row) => ({
      functionName: row.function_name,
      source: row.source,
      enabled: row.enabled,
      planned: Number(row.planned),
      sent: Number(row.sent),
      dropped: Number(row.dropped),
      foundCold: Number(row.found_cold),
      failed: Number(row.failed),
      expectedColdStartsAvoided: row.expected_cold_starts_avoided,
      lastSentAt: row.last_sent_at,
      requests: Number(row.requests),
      coldStarts: Number(row.cold_starts),
    })),
    bufferLoads: (overview.buffer_loads ?? []).map((row) => ({
      relation: row.relation,
      slot: row.slot,
      slotStartsAt: row.slot_starts_at,
      loadedAt: row.loaded_at,
      blocksLoaded: Number(row.blocks_loaded),
      expectedBlocksAvoided: Number(row.expected_blocks_avoided),
      expectedSavedMs: row.expected_saved_ms,
      settledAt: row.settled_at,
      hitRatioAfter: row.hit_ratio_after,
      blocksReadAfter: row.blocks_read_after === null ? null : Number(row.blocks_read_after),
    })),
    caching: (overview.caching ?? []).map((row) => ({
      namespace: row.namespace,
      lookups: Number(row.lookups),
      hits: Number(row.hits),
      hitRate: Number(row.lookups) === 0 ? null : Number(row.hits) / Number(row.lookups),
      refreshes: Number(row.refreshes),
      refreshFailures: Number(row.refresh_failures),
      evictions: Number(row.evictions),
      entries: Number(row.entries),
      bytes: Number(row.bytes),
      loader: row.loader === null ? null : {
        functionName: row.loader.function_name,
        endpoint: row.loader.endpoint,
        enabled: row.loader.enabled,
      },
    })),
    breakers: (overview.breakers ?? []).map((row) => ({
      name: row.name,
      state: row.state,
      since: row.since,
      nextProbeAt: row.next_probe_at,
      openings24h: Number(row.openings),
      transitions24h: Number(row.transitions),
      rejected24h: Number(row.rejected),
    })),
    alerts: alertsOf(overview.alerts ?? []),
    actions: { checks, estimatorError: estimatorError(checks) },
    trends: {
      coldStartRate: rateTrends(overview.rates ?? [], "edge", now),
      cacheHitRate: rateTrends(overview.rates ?? [], "cache", now),
      estimatorError: estimatorErrorSeries(checks),
    },
  };
}

function alertsOf(rows: AlertRow[]): StatusReport["alerts"] {
  const alerts = rows.map((row): Alert => ({
    rule: row.rule,
    subject: row.subject,
    value: row.value,
    threshold: row.threshold,
    raisedAt: row.raised_at,
    lastSeenAt: row.last_seen_at,
    clearedAt: row.cleared_at,
  }));
  return {
    open: alerts.filter((a) => a.clearedAt === null),
    cleared: alerts.filter((a) => a.clearedAt !== null),
  };
}
