import { z } from "zod";
import { breakerMetricEvents } from "../../../../shared/resilience/breaker_events.ts";
import { createBreakerStore } from "../../../../shared/resilience/breaker_store.ts";
import { createSharedBreaker, isBrokenCircuit } from "../../../../shared/resilience/shared_breaker.ts";
import { breakerSettingsFromEnv } from "../../breaker.ts";
import { envWholeNumber } from "../../env.ts";
import { quoteFallbackFromEnv } from "../../quote_fallback.ts";
import { timeframes } from "../../timeframes.ts";
import { jsonPayload, payloadResponse } from "../_shared/app_cache.ts";
import { errorBody, query, requireUser } from "../_shared/http.ts";
import { createAppRuntime } from "../_shared/runtime.ts";
import { createCandleStore, createQuoteClient, type QuoteResult } from "./store.ts";

/**
 * Market data for signed-in users: the latest quote of a symbol (from the upstream quote service named by
 * UPSTREAM_URL, cut off after UPSTREAM_TIMEOUT_MS) and candles of a symbol over a time range. With
 * APP_BREAKER=shared (breaker.ts) quote calls go through the suite's circuit breaker shared by every isolate:
 * while it is open a quote is answered 503 at once, without calling the service. With
 * APP_QUOTE_FALLBACK=last-candle (quote_fallback.ts) a quote the service and the cache cannot answer is
 * answered with the newest stored bar's close, marked stale.
 */

const name = "market-data";
const runtime = createAppRuntime(name);
const { app, cache } = runtime;
const candles = createCandleStore(runtime.sql);

export const upstreamTimeoutDefaultMs = 2000;

const env = (variable: string) => Deno.env.get(variable);
const upstreamUrl = env("UPSTREAM_URL") || null;
const quoteClient = upstreamUrl
  ? createQuoteClient({
    baseUrl: upstreamUrl,
    timeoutMs: envWholeNumber(env, "UPSTREAM_TIMEOUT_MS", upstreamTimeoutDefaultMs)!,
  })
  : null;

const breakerSettings = breakerSettingsFromEnv(env);
const quoteBreaker = breakerSettings.mode === "shared"
  ? createSharedBreaker({
    name: "upstream-quotes",
    store: createBreakerStore(runtime.sql),
    rule: { kind: "consecutive", failures: breakerSettings.failures },
    halfOpenAfterMs: breakerSettings.halfOpenAfterMs,
    readIntervalMs: breakerSettings.readIntervalMs,
    onEvent: runtime.reporter ? breakerMetricEvents(runtime.reporter) : undefined,
  })
  : null;
const quoteFallback = quoteFallbackFromEnv(env);

/** A failed quote, thrown so that the breaker counts it. */
class QuoteFailed extends Error {
  constructor(readonly result: QuoteResult) {
    super("the quote service failed");
  }
}

async function quote(
  fetchQuote: NonNullable<typeof quoteClient>,
  symbol: string,
  timeframe: z.infer<typeof Timeframe>,
): Promise<QuoteResult> {
  if (!quoteBreaker) return await fetchQuote(symbol, timeframe);
  try {
    return await quoteBreaker.execute(async () => {
      const result = await fetchQuote(symbol, timeframe);
      if (!result.ok) throw new QuoteFailed(result);
      return result;
    });
  } catch (error) {
    if (error instanceof QuoteFailed) return error.result;
    if (isBrokenCircuit(error)) {
      return {
        ok: false,
        status: 503,
        error: "the quote service keeps failing: it is not called for now, retry shortly",
      };
    }
    throw error;
  }
}

const Symbol = z.string().regex(/^[A-Za-z0-9._-]{1,20}$/, "symbol must be 1-20 letters, digits, . _ or -");
const Timeframe = z.enum(timeframes);
const QuoteQuery = z.object({ symbol: Symbol, timeframe: Timeframe.default("M1") }).strict();
const CandlesQuery = z.object({
  symbol: Symbol,
  timeframe: Timeframe,
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
}).strict().refine((range) => Date.parse(range.from) < Date.parse(range.to), {
  path: ["to"],
  message: "to must be later than from",
});

const user = requireUser();

app.get("/quote", user, query(QuoteQuery), async (c) => {
  if (!quoteClient) {
    return c.json(errorBody(c, "no quote service configured: set UPSTREAM_URL in the function's env"), 503);
  }
  const { symbol, timeframe } = c.req.valid("query");
  const payload = await cache.read(
    { target: "market-data.quote", key: `quote:${symbol}:${timeframe}` },
    async () => {
      const result = await quote(quoteClient, symbol, timeframe);
      return result.ok
        ? jsonPayload({ quote: result.quote })
        : jsonPayload(errorBody(c, result.error), result.status);
    },
  );
  const bar = payload.status >= 500 && quoteFallback === "last-candle"
    ? await candles.latest(symbol, timeframe)
    : null;
  if (bar) {
    const last = { symbol, timeframe, time: bar.time, price: bar.close, open: bar.open };
    return c.json({ quote: last, stale: true }, 200, { "x-fallback": "last-candle" });
  }
  return payloadResponse(payload, c.get("requestId"));
});

app.get("/candles", user, query(CandlesQuery), async (c) => {
  const { symbol, timeframe, from, to } = c.req.valid("query");
  const range = { symbol, timeframe, from: new Date(from), to: new Date(to) };
  const payload = await cache.read(
    {
      target: "market-data.candles",
      key: `candles:${symbol}:${timeframe}:${range.from.toISOString()}:${range.to.toISOString()}`,
    },
    async () =>
      jsonPayload({ symbol, timeframe, from: range.from, to: range.to, candles: await candles.range(range) }),
  );
  return payloadResponse(payload, c.get("requestId"));
});

runtime.serve();
