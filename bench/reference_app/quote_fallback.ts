import { envChoice } from "./env.ts";

/**
 * What a quote read answers when the quote service fails and no cached answer stands in for it:
 * APP_QUOTE_FALLBACK=off (the service's error, 502/503/504) or last-candle (the close of the newest stored bar
 * of the symbol and timeframe, answered 200 with `x-fallback: last-candle` and `stale: true`, as a chart shows
 * the last known price while its feed is down).
 */
export const quoteFallbacks = ["off", "last-candle"] as const;

export type QuoteFallback = (typeof quoteFallbacks)[number];

/** Reads APP_QUOTE_FALLBACK; throws naming the variable when it is malformed, so a bad deploy fails at boot. */
export function quoteFallbackFromEnv(get: (name: string) => string | undefined): QuoteFallback {
  return envChoice(get, "APP_QUOTE_FALLBACK", quoteFallbacks);
}
