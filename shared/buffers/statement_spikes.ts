import type { CountSeries } from "../forecast/series.ts";

/**
 * Which statements are forecast to spike over a coming time slot: what tells buffer warming that the demand
 * behind a recurring buffer-cache dip is coming again (a market opening), not only that the dip recurred.
 * A statement spikes over the slot when its forecast calls per minute there reach `minSpikeRatio` times its
 * calls per minute over the last `recentMinutes` of its history, and at least `minCallsPerMinute`.
 */

/** A statement's forecast as buffer warming reads it. */
export interface StatementOutlook {
  /** pg_stat_statements' queryid. */
  queryid: string;
  /** Mean calls per minute over the last recentMinutes of the history the forecast was made from. */
  recentPerMinute: number;
  /** The forecast, one point per minute. */
  points: readonly { atMs: number; value: number }[];
}

/** When a statement counts as spiking. */
export interface SpikeOptions {
  /** The forecast over the slot must reach this multiple of the recent calls per minute. */
  minSpikeRatio: number;
  /** ... and at least this many calls per minute. */
  minCallsPerMinute: number;
}

/** Minutes of history the recent rate is the mean of. */
export const recentMinutes = 60;

/** A statement's forecast over a slot against its recent rate. */
export interface SlotStatement {
  /** pg_stat_statements' queryid. */
  queryid: string;
  /** Mean forecast calls per minute over the slot's minutes the forecast reaches. */
  forecastPerMinute: number;
  /** Mean calls per minute over the last recentMinutes of its history. */
  recentPerMinute: number;
  /** Whether it spikes (SpikeOptions). */
  spiking: boolean;
}

/** A statement's outlook from its forecast and the series the forecast was made from. */
export function statementOutlook(
  queryid: string,
  series: CountSeries,
  forecast: { points: readonly { atMs: number; value: number }[] },
): StatementOutlook {
  const recent = series.values.slice(-recentMinutes);
  return {
    queryid,
    recentPerMinute: recent.length === 0 ? 0 : recent.reduce((sum, v) => sum + v, 0) / recent.length,
    points: forecast.points.map(({ atMs, value }) => ({ atMs, value })),
  };
}

/**
 * The statements whose forecast reaches [fromMs, toMs), each judged against its recent rate; a statement whose
 * forecast ends before the slot is left out (nothing is known of it there). The steepest rise first.
 */
export function slotStatements(
  outlooks: readonly StatementOutlook[],
  fromMs: number,
  toMs: number,
  o: SpikeOptions,
): SlotStatement[] {
  const judged: SlotStatement[] = [];
  for (const outlook of outlooks) {
    const inSlot = outlook.points.filter((p) => p.atMs >= fromMs && p.atMs < toMs);
    if (inSlot.length === 0) continue;
    const forecastPerMinute = inSlot.reduce((sum, p) => sum + p.value, 0) / inSlot.length;
    judged.push({
      queryid: outlook.queryid,
      forecastPerMinute,
      recentPerMinute: outlook.recentPerMinute,
      spiking: forecastPerMinute >= o.minCallsPerMinute &&
        forecastPerMinute >= o.minSpikeRatio * outlook.recentPerMinute,
    });
  }
  return judged.sort((a, b) => rise(b) - rise(a));
}

/** How many times its recent rate a statement is forecast at (Infinity from a standstill). */
export function rise(s: Pick<SlotStatement, "forecastPerMinute" | "recentPerMinute">): number {
  return s.recentPerMinute > 0
    ? s.forecastPerMinute / s.recentPerMinute
    : s.forecastPerMinute > 0
    ? Infinity
    : 0;
}
