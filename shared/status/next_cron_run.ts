import { Cron } from "croner";

/**
 * When pg_cron next starts a job, after `now`: from a cron schedule (five fields, minute first, read in UTC,
 * pg_cron's default `cron.timezone`; parsed by croner), or from pg_cron's interval form `'N seconds'` (every N
 * seconds from the job's last start: the phase is pg_cron's own, so without a last start it is unknown).
 * Null for an inactive job, a schedule this cannot read, or an unknown phase.
 */
export function nextCronRun(
  job: { schedule: string; active: boolean; lastStart: string | null },
  now: Date,
): string | null {
  if (!job.active) return null;
  const seconds = /^\s*(\d+)\s+seconds?\s*$/i.exec(job.schedule);
  if (seconds) return nextIntervalRun(Number(seconds[1]) * 1000, job.lastStart, now);
  // five fields only: croner would read a sixth as seconds, which pg_cron's schedules do not have
  if (job.schedule.trim().split(/\s+/).length !== 5) return null;
  try {
    return new Cron(job.schedule, { timezone: "Etc/UTC", paused: true }).nextRun(now)?.toISOString() ?? null;
  } catch {
    return null;
  }
}

function nextIntervalRun(intervalMs: number, lastStart: string | null, now: Date): string | null {
  if (intervalMs <= 0 || lastStart === null) return null;
  const last = Date.parse(lastStart);
  if (!Number.isFinite(last)) return null;
  const passed = Math.max(0, Math.floor((now.getTime() - last) / intervalMs) + 1);
  return new Date(last + passed * intervalMs).toISOString();
}
