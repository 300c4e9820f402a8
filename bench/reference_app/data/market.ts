/**
 * The markets of the reference app: the symbols its traders use (most popular first, which is the order
 * Zipf popularity follows), the candle timeframes, and the trading calendar (crypto trades every day,
 * everything else Monday to Friday, UTC).
 */
import { type Timeframe, timeframes, timeframeSeconds } from "../timeframes.ts";

export type MarketClass = "fx" | "metal" | "crypto" | "index" | "energy";

export interface MarketSymbol {
  symbol: string;
  class: MarketClass;
  /** A price around which the random walk starts. */
  basePrice: number;
  /** Typical daily volatility (standard deviation of the daily log return). */
  dailyVolatility: number;
}

const fx = (symbol: string, basePrice: number, dailyVolatility = 0.006): MarketSymbol => ({
  symbol,
  class: "fx",
  basePrice,
  dailyVolatility,
});

/** Most popular first; the first twenty in the order of the trace generator's defaultSymbols. */
export const marketSymbols: readonly MarketSymbol[] = [
  fx("EURUSD", 1.085),
  { symbol: "XAUUSD", class: "metal", basePrice: 2350, dailyVolatility: 0.012 },
  fx("GBPUSD", 1.27),
  fx("USDJPY", 151.2, 0.007),
  { symbol: "BTCUSD", class: "crypto", basePrice: 65000, dailyVolatility: 0.035 },
  { symbol: "NAS100", class: "index", basePrice: 18000, dailyVolatility: 0.012 },
  { symbol: "US30", class: "index", basePrice: 39000, dailyVolatility: 0.009 },
  { symbol: "GER40", class: "index", basePrice: 18000, dailyVolatility: 0.01 },
  fx("AUDUSD", 0.66),
  { symbol: "SPX500", class: "index", basePrice: 5200, dailyVolatility: 0.009 },
  fx("USDCAD", 1.36, 0.005),
  { symbol: "JP225", class: "index", basePrice: 39000, dailyVolatility: 0.012 },
  { symbol: "ETHUSD", class: "crypto", basePrice: 3300, dailyVolatility: 0.04 },
  fx("USDCHF", 0.9),
  fx("EURJPY", 163.4, 0.007),
  fx("GBPJPY", 192.5, 0.008),
  fx("EURGBP", 0.855, 0.004),
  fx("NZDUSD", 0.6),
  { symbol: "XAGUSD", class: "metal", basePrice: 28, dailyVolatility: 0.02 },
  { symbol: "UK100", class: "index", basePrice: 8000, dailyVolatility: 0.008 },
  fx("AUDJPY", 99.1, 0.008),
  fx("EURAUD", 1.64),
  { symbol: "USOIL", class: "energy", basePrice: 78, dailyVolatility: 0.02 },
  fx("CADJPY", 111.3, 0.007),
  { symbol: "XRPUSD", class: "crypto", basePrice: 0.52, dailyVolatility: 0.05 },
  { symbol: "SOLUSD", class: "crypto", basePrice: 150, dailyVolatility: 0.055 },
  { symbol: "LTCUSD", class: "crypto", basePrice: 85, dailyVolatility: 0.045 },
  fx("CHFJPY", 167.8, 0.007),
  fx("EURCHF", 0.98, 0.004),
  { symbol: "UKOIL", class: "energy", basePrice: 82, dailyVolatility: 0.02 },
];

export const minuteMs = 60_000;
export const dayMs = 24 * 60 * minuteMs;

export const timeframeMs = Object.fromEntries(
  timeframes.map((timeframe) => [timeframe, timeframeSeconds[timeframe] * 1000]),
) as Record<Timeframe, number>;

/** Day of week of a UTC instant, 0 = Sunday (1970-01-01 was a Thursday). */
function weekday(timeMs: number): number {
  return (Math.floor(timeMs / dayMs) + 4) % 7;
}

function tradesEveryDay(market: MarketClass): boolean {
  return market === "crypto";
}

function isTradingBar(openMs: number, market: MarketClass): boolean {
  const day = weekday(openMs);
  return tradesEveryDay(market) || (day !== 0 && day !== 6);
}

/** The open time of the latest bar at or before `nowMs` that the market trades. */
export function lastBarOpen(nowMs: number, timeframe: Timeframe, market: MarketClass): number {
  const step = timeframeMs[timeframe];
  let open = Math.floor(nowMs / step) * step;
  while (!isTradingBar(open, market)) open = previousBarOpen(open, timeframe, market);
  return open;
}

/** The trading bar before `openMs`, skipping weekends for markets that close on them. */
export function previousBarOpen(openMs: number, timeframe: Timeframe, market: MarketClass): number {
  const step = timeframeMs[timeframe];
  let open = openMs - step;
  if (!isTradingBar(open, market)) {
    const dayStart = Math.floor(open / dayMs) * dayMs;
    open = weekday(open) === 6 ? dayStart - step : dayStart - dayMs - step;
  }
  return open;
}

/** The trading bar after `openMs`. */
export function nextBarOpen(openMs: number, timeframe: Timeframe, market: MarketClass): number {
  const step = timeframeMs[timeframe];
  let open = openMs + step;
  if (!isTradingBar(open, market)) {
    const dayStart = Math.floor(open / dayMs) * dayMs;
    open = weekday(open) === 6 ? dayStart + 2 * dayMs : dayStart + dayMs;
  }
  return open;
}

/** About how many bars a market trades in `days` days: for the caps on series depth. */
export function barsInDays(days: number, timeframe: Timeframe, market: MarketClass): number {
  const tradingDays = tradesEveryDay(market) ? days : Math.floor((days * 5) / 7);
  return Math.floor((tradingDays * dayMs) / timeframeMs[timeframe]);
}

/** Decimal places a quote of this price shows. */
export function priceDigits(price: number): number {
  if (price < 10) return 5;
  if (price < 1000) return 3;
  return 2;
}
