/**
 * What a QuantForge robot is about: its strategy type, its strategy_params (by type, as the app's editor
 * writes them), and the words its names and descriptions are made of (which searches look for).
 */
import { chance, integer, pick, uniform } from "./random.ts";
import type { Rng } from "../../trace/prng.ts";
import type { Timeframe } from "../timeframes.ts";

export const strategyTypes = ["Trend", "Scalping", "Grid", "Martingale", "Custom"] as const;
export type StrategyType = typeof strategyTypes[number];

/** How often each type is generated, in the order of strategyTypes. */
export const strategyTypeWeights = [0.32, 0.24, 0.14, 0.1, 0.2] as const;

/** The timeframes robots trade on, with how often; candles cover all of them. */
export const robotTimeframes: readonly Timeframe[] = ["M1", "M5", "M15", "H1", "H4", "D1"];
export const robotTimeframeWeights = [0.06, 0.16, 0.24, 0.3, 0.16, 0.08] as const;

export const indicators = [
  "RSI",
  "MACD",
  "EMA",
  "SMA",
  "Bollinger Bands",
  "Stochastic",
  "ATR",
  "Ichimoku",
  "ADX",
  "Parabolic SAR",
  "CCI",
  "Fibonacci",
] as const;

/** Words of robot names by strategy type; the trace's searches draw from searchTerms. */
export const styleWords: Record<StrategyType, readonly string[]> = {
  Trend: ["Trend Rider", "Breakout", "Momentum", "MA Cross", "Swing", "Trend Follower"],
  Scalping: ["Scalper", "Quick Scalp", "Tick Hunter", "Spread Sniper", "News Scalper"],
  Grid: ["Grid", "Range Grid", "Hedge Grid", "Smart Grid"],
  Martingale: ["Martingale", "Recovery", "Averaging", "Anti-Martingale"],
  Custom: ["Custom EA", "Hybrid", "Signal Bot", "Mean Reversion", "Session Trader"],
};

/** Terms users search their robots for: symbols and these words appear in names and descriptions. */
export const searchTerms = [
  "trend",
  "scalp",
  "grid",
  "martingale",
  "breakout",
  "rsi",
  "macd",
  "bollinger",
  "ema",
  "hedge",
  "news",
  "session",
  "recovery",
  "momentum",
  "swing",
] as const;

export type StrategyParams = Record<string, string | number | boolean | unknown[]>;

function lot(random: Rng): number {
  return pick(random, [0.01, 0.01, 0.02, 0.05, 0.1, 0.1, 0.2, 0.5, 1]);
}

/** strategy_params as the app's editor stores them for this type. */
export function strategyParams(
  random: Rng,
  type: StrategyType,
  symbol: string,
  timeframe: Timeframe,
): StrategyParams {
  const common = { symbol, timeframe, magicNumber: integer(random, 10_000, 999_999) };
  switch (type) {
    case "Trend": {
      const fast = integer(random, 5, 50);
      return {
        ...common,
        fastMaPeriod: fast,
        slowMaPeriod: fast + integer(random, 10, 150),
        maMethod: pick(random, ["EMA", "SMA", "SMMA", "LWMA"]),
        stopLossPips: integer(random, 10, 150),
        takeProfitPips: integer(random, 20, 400),
        lotSize: lot(random),
        trailingStop: chance(random, 0.5),
        trailingStopPips: integer(random, 5, 60),
      };
    }
    case "Scalping":
      return {
        ...common,
        rsiPeriod: integer(random, 5, 21),
        rsiOverbought: integer(random, 65, 85),
        rsiOversold: integer(random, 15, 35),
        maxSpreadPoints: integer(random, 5, 30),
        stopLossPips: integer(random, 3, 15),
        takeProfitPips: integer(random, 3, 20),
        lotSize: lot(random),
        sessionStart: pick(random, ["00:00", "07:00", "08:00", "13:00"]),
        sessionEnd: pick(random, ["11:00", "16:00", "17:00", "21:00"]),
      };
    case "Grid":
      return {
        ...common,
        gridStepPips: integer(random, 10, 100),
        gridLevels: integer(random, 3, 20),
        lotSize: lot(random),
        lotMultiplier: Math.round(uniform(random, 1, 1.5) * 100) / 100,
        takeProfitPips: integer(random, 10, 120),
        maxDrawdownPercent: integer(random, 10, 50),
        hedge: chance(random, 0.3),
      };
    case "Martingale":
      return {
        ...common,
        initialLot: lot(random),
        multiplier: Math.round(uniform(random, 1.5, 3) * 10) / 10,
        maxTrades: integer(random, 3, 12),
        stepPips: integer(random, 10, 80),
        takeProfitPips: integer(random, 10, 100),
        maxDrawdownPercent: integer(random, 10, 60),
      };
    case "Custom": {
      const count = integer(random, 1, 4);
      const used = Array.from({ length: count }, () => ({
        name: pick(random, indicators),
        period: integer(random, 5, 60),
      }));
      return {
        ...common,
        indicators: used,
        entryRule: pick(random, ["cross above", "cross below", "close above band", "divergence", "pullback"]),
        exitRule: pick(random, ["opposite signal", "fixed target", "trailing stop", "time exit"]),
        riskPercent: Math.round(uniform(random, 0.25, 5) * 100) / 100,
      };
    }
  }
}
