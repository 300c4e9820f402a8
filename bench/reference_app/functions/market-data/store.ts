import type { Sql } from "../_shared/runtime.ts";
import type { Timeframe } from "../../timeframes.ts";

/** Candles (OHLCV bars) from public.market_candles, and quotes from the upstream quote service. */

/** A chart never asks for more bars than this at once. */
export const maxCandles = 5000;

export interface CandleRange {
  symbol: string;
  timeframe: Timeframe;
  from: Date;
  to: Date;
}

export type Candle = { time: Date; open: number; high: number; low: number; close: number; volume: number };

export function createCandleStore(sql: Sql) {
  return {
    /** Bars that opened in [from, to), oldest first. */
    range: (range: CandleRange) =>
      sql<Candle[]>`
        select open_time as time, open, high, low, close, volume from public.market_candles
        where symbol = ${range.symbol} and timeframe = ${range.timeframe}
          and open_time >= ${range.from} and open_time < ${range.to}
        order by open_time
        limit ${maxCandles}`,
    /** The newest stored bar of a series, or null when it has none (a backward scan of the primary key). */
    latest: async (symbol: string, timeframe: Timeframe): Promise<Candle | null> => {
      const [bar] = await sql<Candle[]>`
        select open_time as time, open, high, low, close, volume from public.market_candles
        where symbol = ${symbol} and timeframe = ${timeframe}
        order by open_time desc
        limit 1`;
      return bar ?? null;
    },
  };
}

export type QuoteResult =
  | { ok: true; quote: unknown }
  | { ok: false; status: 502 | 503 | 504; error: string };

export interface QuoteClientOptions {
  /** UPSTREAM_URL: base URL of the quote service. */
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Asks the quote service, giving up after timeoutMs: a provider that hangs must not hold the user (or the
 * isolate's request slots) for longer. Failures become 502 (the provider answered badly or not at all) or
 * 504 (it did not answer in time), never a thrown error.
 */
export function createQuoteClient(options: QuoteClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, "");
  return async (symbol: string, timeframe: Timeframe): Promise<QuoteResult> => {
    const url = `${base}/quote?${new URLSearchParams({ symbol, timeframe })}`;
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
      if (!response.ok) {
        await response.body?.cancel();
        return {
          ok: false,
          status: 502,
          error: `the quote service answered ${response.status}: retry shortly`,
        };
      }
      return { ok: true, quote: await response.json() };
    } catch (error) {
      if ((error as Error)?.name === "TimeoutError") {
        return {
          ok: false,
          status: 504,
          error: `the quote service did not answer within ${options.timeoutMs} ms: retry shortly`,
        };
      }
      return {
        ok: false,
        status: 502,
        error: `the quote service is unreachable: ${(error as Error)?.message ?? error}`,
      };
    }
  };
}
