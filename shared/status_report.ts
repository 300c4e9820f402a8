import { type ModuleName, moduleNames, type OptimizationConfig } from "./config.ts";

/**
 * The `GET /functions/v1/status` answer, built from optimizer.status_overview() and the config: which modules
 * are on and when they last ran, data volumes, and whether the metric pipeline (pg_cron rollup and snapshot
 * jobs) is keeping up, judged against config.alerts.pipelineStaleMinutes.
 */

/** optimizer.status_overview() as the SQL builds it (snake_case; timestamps as ISO text). */
export interface StatusOverview {
  generated_at?: string;
  volumes?: Record<string, unknown>;
  rollups?: { newest_minute: string | null; age_seconds?: number | null; watermark?: number | string | null };
  snapshots?: { newest_at: string | null; age_seconds?: number | null };
  cron_jobs?: CronJobRow[];
  modules?: Partial<Record<string, RunRow>>;
}

export interface CronJobRow {
  jobname: string;
  schedule: string;
  active: boolean;
  last_status: string | null;
  last_start: string | null;
  last_end: string | null;
  last_message: string | null;
  failures_24h: number | string;
}

export interface RunRow {
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  summary: unknown;
  error: string | null;
}

export interface LastRun {
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  summary: unknown;
  error: string | null;
}

export interface CronJob {
  name: string;
  schedule: string;
  active: boolean;
  lastStatus: string | null;
  lastStart: string | null;
  lastMessage: string | null;
  failures24h: number;
}

export interface PipelineHealth {
  newestRollupAgeSeconds: number | null;
  newestSnapshotAgeSeconds: number | null;
  eventsPendingRollup: number | null;
  cronJobs: CronJob[];
  cronFailures24h: number;
  healthy: boolean;
  problems: string[];
}

export interface StatusReport {
  modules: { name: ModuleName; enabled: boolean; lastRun: LastRun | null }[];
  config: OptimizationConfig;
  volumes: Record<string, unknown>;
  pipeline: PipelineHealth;
}

/** The pg_cron jobs the migrations schedule; the pipeline is unhealthy without any of them. */
export const pipelineJobs = ["optimizer-rollup", "optimizer-db-snapshot", "optimizer-retention"] as const;

const ageSeconds = (at: string | null | undefined, now: Date) =>
  at ? Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000)) : null;

const minutesText = (seconds: number) => `${Math.round(seconds / 60)} min`;

/**
 * Judges the pipeline. Staleness is measured on the jobs' last runs, not on the newest data: a quiet project
 * has no new events, and that is not a fault. A job failing now (its last run) is a problem; failures earlier
 * in the last 24 h are only counted.
 */
export function pipelineHealth(
  overview: StatusOverview,
  config: OptimizationConfig,
  now: Date,
): PipelineHealth {
  const staleSeconds = config.alerts.pipelineStaleMinutes * 60;
  const cronJobs: CronJob[] = (overview.cron_jobs ?? []).map((job) => ({
    name: job.jobname,
    schedule: job.schedule,
    active: job.active,
    lastStatus: job.last_status,
    lastStart: job.last_start,
    lastMessage: job.last_message,
    failures24h: Number(job.failures_24h ?? 0),
  }));
  const pending = overview.volumes?.events_pending_rollup;
  const eventsPendingRollup = pending == null ? null : Number(pending);
  const newestRollupAgeSeconds = ageSeconds(overview.rollups?.newest_minute, now);
  const newestSnapshotAgeSeconds = ageSeconds(overview.snapshots?.newest_at, now);
  const problems: string[] = [];

  for (const name of pipelineJobs) {
    const job = cronJobs.find((candidate) => candidate.name === name);
    if (!job) {
      problems.push(`pg_cron job ${name} does not exist: apply the migrations again (supabase db push)`);
    } else if (!job.active) {
      problems.push(`pg_cron job ${name} is inactive: select cron.alter_job(jobid, active := true) for it`);
    } else if (job.lastStatus === "failed") {
      problems.push(
        `pg_cron job ${name} failed on its last run at ${job.lastStart}: ${job.lastMessage ?? "no message"}`,
      );
    }
  }

  const rollup = cronJobs.find((job) => job.name === "optimizer-rollup");
  const rollupRunAge = ageSeconds(rollup?.lastStart, now);
  if (rollup?.active && (rollupRunAge === null || rollupRunAge > staleSeconds)) {
    problems.push(
      rollupRunAge === null
        ? "optimizer-rollup has never run: is pg_cron running in this database (cron.database_name)?"
        : `optimizer-rollup last ran ${minutesText(rollupRunAge)} ago (every minute expected, alert after ` +
          `${config.alerts.pipelineStaleMinutes} min): is pg_cron running?`,
    );
  }
  if (
    eventsPendingRollup !== null && eventsPendingRollup > 0 &&
    (newestRollupAgeSeconds === null || newestRollupAgeSeconds > staleSeconds) && rollupRunAge !== null &&
    rollupRunAge <= staleSeconds
  ) {
    problems.push(
      `${eventsPendingRollup} events wait for the rollup, but the newest rolled-up minute is ` +
        `${newestRollupAgeSeconds === null ? "missing" : `${minutesText(newestRollupAgeSeconds)} old`}: ` +
        "see optimizer.runs where module = 'monitoring' for the rollup's errors",
    );
  }

  const snapshotLimitSeconds = Math.max(staleSeconds, 2 * config.intervals.snapshotMinutes * 60);
  const snapshotJob = cronJobs.find((job) => job.name === "optimizer-db-snapshot");
  if (snapshotJob?.active && snapshotJob.lastStart && newestSnapshotAgeSeconds === null) {
    problems.push(
      "optimizer-db-snapshot has run but no database snapshot exists: see its last message in cron",
    );
  } else if (newestSnapshotAgeSeconds !== null && newestSnapshotAgeSeconds > snapshotLimitSeconds) {
    problems.push(
      `the newest database snapshot is ${minutesText(newestSnapshotAgeSeconds)} old ` +
        `(alert after ${minutesText(snapshotLimitSeconds)}): check the optimizer-db-snapshot job`,
    );
  }

  return {
    newestRollupAgeSeconds,
    newestSnapshotAgeSeconds,
    eventsPendingRollup,
    cronJobs,
    cronFailures24h: cronJobs.reduce((sum, job) => sum + job.failures24h, 0),
    healthy: problems.length === 0,
    problems,
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

export function statusReport(overview: StatusOverview, config: OptimizationConfig, now: Date): StatusReport {
  return {
    modules: moduleNames.map((name) => ({
      name,
      enabled: config.modules[name],
      lastRun: lastRun(overview.modules?.[name]),
    })),
    config,
    volumes: overview.volumes ?? {},
    pipeline: pipelineHealth(overview, config, now),
  };
}
