import { percent } from "../correlate/statistics.ts";
import { MINUTE_MS } from "../time.ts";

/**
 * Pacing the warmer's hourly ping budget (`limits.warmPingsPerHour`): which of a window's pings it keeps.
 *
 * Spent as it came (each window's likeliest pings while any were left), the budget went in the hour's first
 * half and left the rest unwarmed (`npm run bench`, 2026-11-29: cold starts back to baseline's level in the
 * last 20 to 40 minutes). Paced, two rules hold it back:
 * - the bar: a ping is kept when it is among the likeliest that the budget buys in the hour ahead, as planned
 *   now (as if the window's pings were sent). That plan knows the forecast, but not the pings that requests
 *   will call for (each request moves the worker's idle deadline, and its refresh): in the benchmark the bar
 *   alone still let the budget run out before the hour ended;
 * - the spread: a window takes at most `maxShareOfLeftPerMinute` of the pings the hour has left (a minute's
 *   window; at least one), so what is left shrinks by a share each minute and is never all spent at once.
 *   Under steady demand above the bar, that spends about 6/7 of the budget each hour.
 */

/** A minute's window takes at most this share of the pings the hour has left. */
const maxShareOfLeftPerMinute = 0.1;

/** Where the budget runs out: the rank a ping must reach, and the share of the pings at exactly that rank. */
export interface PaceBar {
  /** A ping ranking above this is bought. */
  rank: number;
  /** Of the pings at exactly `rank`, this share is bought (busy functions' successors all rank 1). */
  share: number;
  /** What set the bar, in words. */
  basis: string;
}

/** The bar of a budget that buys every candidate. */
const buysAll: PaceBar = { rank: 0, share: 1, basis: "the budget buys every ping planned" };

/** The bar for `pingsPerHour` pings given the ranks of the hour ahead's candidates (this window's included). */
export function paceBudget(aheadRanks: readonly number[], pingsPerHour: number): PaceBar {
  if (!Number.isFinite(pingsPerHour)) return { ...buysAll, basis: "not paced" };
  return barAmong(aheadRanks, pingsPerHour, `the hour ahead's ${aheadRanks.length} planned now`);
}

/** The most pings a window of `windowMs` takes when the hour has `pingsLeft` left; unpaced: all of them. */
export function windowCap(pingsLeft: number, windowMs: number, pingsPerHour: number): number {
  if (pingsLeft < 1) return 0;
  if (!Number.isFinite(pingsPerHour)) return pingsLeft;
  return Math.max(1, Math.ceil(pingsLeft * maxShareOfLeftPerMinute * windowMs / MINUTE_MS));
}

/** How a plan paced the budget: the bar, and the most pings its window could take. */
export type Pacing = PaceBar & { windowCap: number };

/** Whether a ping of `rank` to function `fn` is bought under `bar`. */
export function buys(bar: PaceBar, rank: number, fn: string): boolean {
  return rank > bar.rank || (rank === bar.rank && draw(fn) < bar.share);
}

/** One sentence on a ping left for likelier ones. */
export function pacedReason(bar: PaceBar, pingsPerHour: number): string {
  return `left for likelier ones: ${pingsPerHour} pings an hour buy those reaching ${percent(bar.rank, 0)}` +
    (bar.share < 1
      ? ` (at exactly ${percent(bar.rank, 0)}, those of ${percent(bar.share, 0)} of the functions)`
      : "") +
    `, by ${bar.basis}`;
}

/** Where `budget` pings run out among pings of these ranks. */
function barAmong(ranks: readonly number[], budget: number, basis: string): PaceBar {
  if (ranks.length <= budget) return buysAll;
  if (budget < 1) return { rank: Infinity, share: 0, basis };
  const sorted = [...ranks].sort((a, b) => b - a);
  const rank = sorted[budget - 1];
  const above = sorted.filter((r) => r > rank).length;
  const at = sorted.filter((r) => r === rank).length;
  return { rank, share: (budget - above) / at, basis };
}

/**
 * A function's draw in [0, 1) for the pings at the bar: the golden ratio's multiples of its number spread
 * evenly. The same functions win each run: a function whose successors lose the draw needs no probes to time
 * them, and one whose successors win keeps them.
 */
function draw(fn: string): number {
  let fnNumber = 0;
  for (const char of fn) fnNumber = (fnNumber * 31 + char.charCodeAt(0)) % 1_000_003;
  return (fnNumber * goldenRatioConjugate) % 1;
}

const goldenRatioConjugate = (Math.sqrt(5) - 1) / 2;
