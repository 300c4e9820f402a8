import { type RateChange, rateChange } from "../correlate/statistics.ts";
import { HOUR_MS } from "../time.ts";

/**
 * The status report's trends: a rate per hour of the last 24 hours (a function's cold starts per request, a
 * cache namespace's hits per lookup), and whether it changed: the recent hours against the earlier ones, each
 * pooled (events added up, so a busy hour weighs as much as its events and a quiet one as little), compared by
 * the two-proportion z-test. Measured, never modelled: every figure is a count of the metric store's rollups.
 */

/** A row of optimizer.rate_series(): one hour of one series. Counts are bigints. */
export interface RateSeriesRow {
  /** `edge` (cold starts per request) or `cache` (hits per lookup with a verdict). */
  system: string;
  /** The function or the namespace. */
  target: string;
  /** The hour's start (ISO 8601). */
  at: string;
  /** Requests, or lookups that hit or missed. */
  events: number | string;
  /** Of those, the cold starts, or the hits. */
  part: number | string;
}

/** One hour of a rate. */
export interface RatePoint {
  /** The hour's start (ISO 8601, UTC). */
  at: string;
  /** The events the rate rests on. */
  events: number;
  /** part / events. */
  rate: number;
}

/** How a rate moved: the recent hours against the earlier ones. */
export interface RateDirection {
  /** `rising` or `falling` when the z-test rejects equal rates at `significance`, else `steady`. */
  direction: "rising" | "falling" | "steady";
  /** The pooled rate of the earlier hours. */
  earlier: number;
  /** The pooled rate of the recent hours. */
  recent: number;
  /** Two-sided p-value of "the rates are equal". */
  pValue: number;
}

/** A series' rate per hour, oldest first, and its direction. */
export interface RateTrend {
  /** `edge:<function>` or `cache:<namespace>`, as alerts name them. */
  subject: string;
  /** The hours that had events. */
  points: RatePoint[];
  /** null when the recent or the earlier hours had no events. */
  change: RateDirection | null;
}

/** What a trend compares. */
export interface RateTrendOptions {
  /** The last this many hours (before `now`) are recent; the rest of the series is earlier (default 6). */
  recentHours: number;
  /** The p-value below which a change is a change (default 0.05). */
  significance: number;
}

/** The defaults, frozen. */
export const rateTrendDefaults: Readonly<RateTrendOptions> = Object.freeze({
  recentHours: 6,
  significance: 0.05,
});

/** Pure: the trends of `system`'s series among `rows`, judged at `now`. */
export function rateTrends(
  rows: readonly RateSeriesRow[],
  system: "edge" | "cache",
  now: Date,
  options: Partial<RateTrendOptions> = {},
): RateTrend[] {
  const { recentHours, significance } = { ...rateTrendDefaults, ...options };
  if (!(recentHours >= 1)) throw new RangeError(`recentHours must be >= 1: got ${recentHours}`);
  if (!(significance > 0 && significance < 1)) {
    throw new RangeError(`significance must be between 0 and 1: got ${significance}`);
  }
  const recentFrom = now.getTime() - recentHours * HOUR_MS;
  const bySeries = Map.groupBy(rows.filter((row) => row.system === system), (row) => row.target);
  return [...bySeries].sort(([a], [b]) => a.localeCompare(b)).map(([target, series]) => {
    const points = series
      .map((row) => ({
        at: new Date(row.at).toISOString(),
        part: Number(row.part),
        events: Number(row.events),
      }))
      .sort((a, b) => a.at.localeCompare(b.at));
    // an hour that began before recentFrom is earlier, so that no hour is split
    const isRecent = (p: { at: string }) => Date.parse(p.at) >= recentFrom;
    const pooled = (recent: boolean) =>
      points.filter((p) => isRecent(p) === recent).reduce(
        (sum, p) => ({ part: sum.part + p.part, events: sum.events + p.events }),
        { part: 0, events: 0 },
      );
    const [earlier, recent] = [pooled(false), pooled(true)];
    return {
      subject: `${system}:${target}`,
      points: points.map(({ at, part, events }) => ({ at, events, rate: part / events })),
      change: directionOf(rateChange(earlier.part, earlier.events, recent.part, recent.events), significance),
    };
  });
}

function directionOf(change: RateChange | null, significance: number): RateDirection | null {
  if (change === null) return null;
  const moved = change.pValue < significance && change.after !== change.before;
  return {
    direction: !moved ? "steady" : change.after > change.before ? "rising" : "falling",
    earlier: change.before,
    recent: change.after,
    pValue: change.pValue,
  };
}
