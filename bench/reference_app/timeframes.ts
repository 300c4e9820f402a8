/** The bar sizes QuantForge charts and market_candles use. */
export const timeframes = ["M1", "M5", "M15", "H1", "H4", "D1"] as const;
export type Timeframe = typeof timeframes[number];

export const timeframeSeconds: Record<Timeframe, number> = {
  M1: 60,
  M5: 300,
  M15: 900,
  H1: 3600,
  H4: 14_400,
  D1: 86_400,
};

export function isTimeframe(value: string): value is Timeframe {
  return (timeframes as readonly string[]).includes(value);
}
