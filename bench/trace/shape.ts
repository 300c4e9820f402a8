import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";
/**
 * The arrival-rate shape of QuantForge's traffic in UTC (no time zones: a trader's day is the markets' day):
 * a diurnal curve with quiet nights, quieter weekends (FX and index markets close Friday night to Sunday night)
 * and a short burst after each market open, decaying linearly from 1 + burstGain to 1.
 */

export interface MarketOpen {
  name: string;
  /** Minutes after 00:00 UTC. */
  utcMinute: number;
  /** Symbols that are hottest while this market leads (popularity drifts with the sessions). */
  hot?: string[];
}

export interface RateShape {
  /** Relative activity at each full UTC hour (24 values, peak 1); linear in between. */
  diurnal: readonly number[];
  /** Activity multiplier on Saturdays and Sundays (UTC). */
  weekendFactor: number;
  marketOpens: readonly MarketOpen[];
  /** Length of the burst after a market open. */
  burstMinutes: number;
  /** Extra rate at the instant of a market open, as a multiple of the diurnal rate (0 = no bursts). */
  burstGain: number;
}

/** Hourly weights: Asia is light, London lifts the morning, the London/New York overlap is the peak, nights are near zero. */
export const defaultDiurnal: readonly number[] = [
  0.10,
  0.07,
  0.03,
  0.02,
  0.02,
  0.04,
  0.12,
  0.40,
  0.60,
  0.70,
  0.70,
  0.65,
  0.70,
  0.85,
  1.00,
  1.00,
  0.90,
  0.75,
  0.60,
  0.50,
  0.40,
  0.30,
  0.20,
  0.13,
];

/** Tokyo 00:00, London 07:00 and New York 13:30 UTC (winter times; the trace has no daylight saving). */
export const defaultMarketOpens: readonly MarketOpen[] = [
  { name: "tokyo", utcMinute: 0, hot: ["USDJPY", "JP225", "AUDUSD"] },
  { name: "london", utcMinute: 7 * 60, hot: ["GBPUSD", "GER40", "EURGBP"] },
  { name: "new-york", utcMinute: 13 * 60 + 30, hot: ["XAUUSD", "NAS100", "US30"] },
];

function minuteOfDay(epochMs: number): number {
  return (((epochMs % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS;
}

export function isWeekend(epochMs: number): boolean {
  const day = new Date(epochMs).getUTCDay();
  return day === 0 || day === 6;
}

export function diurnalWeight(diurnal: readonly number[], epochMs: number): number {
  const hours = minuteOfDay(epochMs) / 60;
  const hour = Math.floor(hours);
  const fraction = hours - hour;
  return diurnal[hour] * (1 - fraction) + diurnal[(hour + 1) % 24] * fraction;
}

/** 1 outside market-open windows; 1 + burstGain at an open, falling linearly to 1 over burstMinutes. Weekdays only. */
export function burstFactor(shape: RateShape, epochMs: number): number {
  if (shape.burstGain === 0 || isWeekend(epochMs)) return 1;
  const minute = minuteOfDay(epochMs);
  let factor = 1;
  for (const open of shape.marketOpens) {
    const since = (minute - open.utcMinute + 24 * 60) % (24 * 60);
    if (since < shape.burstMinutes) {
      factor = Math.max(factor, 1 + shape.burstGain * (1 - since / shape.burstMinutes));
    }
  }
  return factor;
}

/** Relative arrival rate at an instant: 1 is the weekday peak hour without bursts. */
export function activity(shape: RateShape, epochMs: number): number {
  const weekday = isWeekend(epochMs) ? shape.weekendFactor : 1;
  return diurnalWeight(shape.diurnal, epochMs) * weekday * burstFactor(shape, epochMs);
}

/** Index in `opens` of the market that opened most recently (cyclically over the UTC day). */
export function leadingMarket(opens: readonly MarketOpen[], epochMs: number): number {
  const minute = minuteOfDay(epochMs);
  let best = 0;
  let bestSince = Infinity;
  opens.forEach((open, i) => {
    const since = (minute - open.utcMinute + 24 * 60) % (24 * 60);
    if (since < bestSince) {
      bestSince = since;
      best = i;
    }
  });
  return best;
}
