import type { Sql } from "./db/client.ts";

/**
 * The warmer's clock (optimizer.clock, supabase/migrations/20261129005000_optimizer_clock.sql): wall-clock time
 * on every real project, sped up by a load test that replays hours of traffic in minutes, so that the warmer
 * plans and times its pings on the replay's time. The metric store puts reporters' wall-clock events on the same
 * clock as it stores them. Durations measured in wall-clock time (a ping's latency, a worker's age) are
 * `rate` times as long on the clock.
 */
export interface Clock {
  /** Clock milliseconds per wall-clock millisecond (1: wall-clock time). */
  readonly rate: number;
  /** Now on the clock (epoch ms). */
  now(): number;
  /** Waits until the clock has moved on `ms`. */
  sleep(ms: number): Promise<void>;
}

/** One point of a clock and its rate, as optimizer.read_clock() answers. */
export interface ClockSetting {
  /** Clock milliseconds per wall-clock millisecond. */
  rate: number;
  /** A wall-clock instant (epoch ms)... */
  originRealMs: number;
  /** ...and what the clock showed then (epoch ms). */
  originAtMs: number;
}

const wallSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The clock `setting` describes, reading wall-clock time from `realNow`. */
export function settingClock(setting: ClockSetting, realNow: () => number = Date.now): Clock {
  const { rate, originRealMs, originAtMs } = setting;
  if (!(rate >= 1 && rate <= 3600)) throw new RangeError(`rate must be between 1 and 3600: got ${rate}`);
  return {
    rate,
    now: () => originAtMs + (realNow() - originRealMs) * rate,
    sleep: (ms) => wallSleep(ms / rate),
  };
}

/** Wall-clock time from `realNow` (default Date.now): what a clock is when no replay speeds it up. */
export function wallClock(realNow: () => number = Date.now): Clock {
  return settingClock({ rate: 1, originRealMs: 0, originAtMs: 0 }, realNow);
}

/** The project's clock as stored (optimizer.read_clock()); wall-clock time when none is. */
export async function readClock(sql: Sql): Promise<Clock> {
  const [row] = await sql<{ rate: number; origin_real: Date; origin_at: Date }[]>`
    select c.rate, c.origin_real, c.origin_at from optimizer.read_clock() c`;
  return row
    ? settingClock({
      rate: row.rate,
      originRealMs: row.origin_real.getTime(),
      originAtMs: row.origin_at.getTime(),
    })
    : wallClock();
}
