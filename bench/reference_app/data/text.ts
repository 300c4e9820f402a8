/**
 * The prose of the reference data: robot descriptions, chat turns between a trader and the AI, backtest
 * settings and analysis results, made of words that searches (strategy.ts searchTerms) find.
 */
import { chance, integer, pick, uniform } from "./random.ts";
import type { Rng } from "../../trace/prng.ts";
import { dayMs } from "./market.ts";
import { indicators, type StrategyType } from "./strategy.ts";

const descriptionSentences: readonly ((symbol: string, type: StrategyType, indicator: string) => string)[] = [
  (s, t) => `${t} strategy for ${s} built with QuantForge AI.`,
  (s) => `Trades ${s} breakout moves after the London session opens.`,
  (_, __, i) => `Uses ${i} as the main filter and a fixed stop loss on every trade.`,
  () => `Momentum entries with a trailing stop that locks in profit once the trade runs.`,
  () => `Avoids trading around high-impact news and closes everything before the weekend.`,
  (_, __, i) => `Entries when ${i} confirms the higher timeframe trend; exits on the opposite signal.`,
  () => `Grid spacing adapts to ATR so that quiet sessions do not stack too many orders.`,
  () => `Recovery mode doubles the lot after a loss; capped by a maximum drawdown.`,
  (s) => `Backtested on ${s} tick data with variable spread.`,
  () => `Mean reversion around Bollinger bands during the Asian session.`,
  () => `Hedge positions open when the MACD histogram flips against the trade.`,
  () => `Swing trades held for days, sized from account risk percent.`,
];

/** A description of 1-6 sentences, or null for the robots whose owners never wrote one. */
export function robotDescription(random: Rng, symbol: string, type: StrategyType): string | null {
  if (chance(random, 0.12)) return null;
  const count = integer(random, 1, 6);
  return Array.from(
    { length: count },
    () => pick(random, descriptionSentences)(symbol, type, pick(random, indicators)),
  ).join(" ");
}

const userTurns: readonly ((symbol: string, indicator: string, n: number) => string)[] = [
  (s) => `Create a robot that trades ${s} on breakouts of the Asian range with a tight stop.`,
  (_, i, n) => `Change the ${i} period to ${n} and only take trades in the direction of the trend.`,
  (_, __, n) => `Add a trailing stop of ${n} pips once the trade is ${n * 2} pips in profit.`,
  (s) => `Why did it open three trades on ${s} during the news yesterday? It should pause around NFP.`,
  () => `Can you make the lot size depend on account risk instead of a fixed lot?`,
  (_, __, n) => `Limit it to ${Math.max(1, n % 10)} open positions and close everything on Friday evening.`,
  (_, i) => `Replace the moving average filter with ${i}, and explain what changes in the backtest.`,
  () => `The backtest shows a big drawdown in March. What is causing it and how do I reduce it?`,
  (s) => `Make a version for ${s} on the H1 chart with wider stops.`,
  () => `Add comments to the code so I understand the entry logic.`,
  () => `It does not compile: 'PipSize' undeclared identifier. Please fix.`,
  (_, __, n) => `Set the maximum spread to ${n} points and skip the rollover hour.`,
];

const assistantOpenings: readonly string[] = [
  "Here is the updated expert advisor.",
  "Good point: the previous version ignored that case.",
  "I changed the entry logic as requested.",
  "The drawdown comes from the grid adding positions into a strong trend.",
  "Done. The new inputs are at the top of the file so you can tune them in the strategy tester.",
  "The compile error was a missing helper; it is defined now.",
];

const assistantExplanations: readonly ((symbol: string, indicator: string, n: number) => string)[] = [
  (s, i) =>
    `The robot now waits for ${i} to confirm before entering on ${s}, which filters most false breakouts.`,
  (_, __, n) =>
    `Stops are placed ${n} pips away and moved to break-even once the trade reaches the first target.`,
  () => `Position size is computed from the risk percent and the stop distance, rounded to the lot step.`,
  () => `News filtering uses a time window around scheduled events; outside it the strategy trades normally.`,
  (s) => `In the backtest on ${s} the profit factor improves, but expect fewer trades per week.`,
  () => `Martingale recovery is capped so that a losing streak cannot exceed the maximum drawdown input.`,
  () => `The grid step now follows ATR, so orders are spaced wider when volatility rises.`,
  (_, i) => `I kept ${i} on the closed bar (shift 1) so signals do not repaint within the candle.`,
];

const snippetLines: readonly string[] = [
  "input double InpRiskPercent = 1.0;",
  "double lots = LotFromRisk(InpRiskPercent, InpStopLossPips);",
  "if(!InSession(InpSessionStart, InpSessionEnd)) return;",
  "ApplyTrailingStop(InpTrailingStopPips);",
  'if(DrawdownPercent() > InpMaxDrawdownPercent) CloseAll("max drawdown");',
  "double rsi = iRSIGet(rsiHandle, 1);",
  "if(SymbolInfoInteger(_Symbol, SYMBOL_SPREAD) > InpMaxSpreadPoints) return;",
  "trade.PositionModify(ticket, newStop, takeProfit);",
];

/** One chat turn's text; the AI's turns are longer and sometimes carry a code snippet. */
export function messageContent(
  random: Rng,
  role: "user" | "assistant" | "system",
  symbol: string,
): string {
  const indicator = pick(random, indicators);
  const n = integer(random, 5, 60);
  if (role === "system") {
    return `You are QuantForge AI, an expert MQL5 developer. Write complete, compilable expert advisors for ${symbol}.`;
  }
  if (role === "user") return pick(random, userTurns)(symbol, indicator, n);
  const parts = [pick(random, assistantOpenings)];
  const sentences = integer(random, 1, 4);
  for (let i = 0; i < sentences; i++) parts.push(pick(random, assistantExplanations)(symbol, indicator, n));
  if (chance(random, 0.4)) {
    const lines = Array.from({ length: integer(random, 2, 8) }, () => pick(random, snippetLines));
    parts.push("```mql5\n" + lines.join("\n") + "\n```");
  }
  return parts.join(" ");
}

export function backtestSettings(
  random: Rng,
  symbol: string,
  timeframe: string,
  createdAt: Date,
): Record<string, unknown> | null {
  if (!chance(random, 0.6)) return null;
  const to = new Date(createdAt.getTime() - integer(random, 1, 30) * dayMs);
  const from = new Date(to.getTime() - integer(random, 30, 1000) * dayMs);
  return {
    symbol,
    timeframe,
    from: from.toISOString().slice(0, 10),
    to: to.toISOString().slice(0, 10),
    initialDeposit: pick(random, [1000, 5000, 10000, 25000, 100000]),
    leverage: pick(random, [30, 100, 200, 500]),
    spreadPoints: integer(random, 0, 30),
    commissionPerLot: pick(random, [0, 3.5, 7]),
    model: pick(random, ["every tick", "1 minute OHLC", "open prices only"]),
  };
}

/** An AI analysis made some time between the robot's creation and `latest`, or null for most robots. */
export function analysisResult(
  random: Rng,
  createdAt: Date,
  latest: Date,
): Record<string, unknown> | null {
  if (!chance(random, 0.45)) return null;
  return {
    riskScore: integer(random, 1, 10),
    profitability: integer(random, 1, 10),
    profitFactor: Math.round(uniform(random, 0.6, 2.8) * 100) / 100,
    maxDrawdownPercent: Math.round(uniform(random, 3, 60) * 10) / 10,
    winRatePercent: Math.round(uniform(random, 30, 80) * 10) / 10,
    description: pick(random, assistantExplanations)(
      "the symbol",
      pick(random, indicators),
      integer(random, 5, 60),
    ),
    recommendations: Array.from({ length: integer(random, 1, 3) }, () => pick(random, assistantOpenings)),
    analyzedAt: new Date(uniform(random, createdAt.getTime(), latest.getTime())).toISOString(),
  };
}
