/**
 * The suite's resilience as a feature of the `optimized` scenario (docs/resilience.md): the app's quote calls
 * go through the circuit breaker every isolate shares (APP_BREAKER=shared), a quote whose service fails is
 * answered from the shared cache's expired entry (stale-if-error) or else from the newest stored bar
 * (APP_QUOTE_FALLBACK=last-candle). Stale-if-error needs the shared cache on the quote reads, which
 * sharedCacheFeature() provides; the breaker's times are trace times, compressed like the trace.
 */
import { HOUR_MS, SECOND_MS } from "../../shared/time.ts";
import type { SuiteFeature } from "./scenario.ts";

/** The breaker's settings and how long an entry may stand in for a failed quote, in trace time. */
export const resilienceSettings = {
  /** Consecutive failed quote calls that open the circuit (the breaker's default). */
  failures: 5,
  /** Open this long before one probe: at most one quote call per 10 s of outage across all isolates. */
  halfOpenAfterTraceMs: 10 * SECOND_MS,
  /** How often an isolate reads the shared circuit at most (the breaker's default, 1 s). */
  readIntervalTraceMs: SECOND_MS,
  /** How long past its TTL a quote may answer for a failed call. */
  staleIfErrorTraceMs: HOUR_MS,
} as const;

/** The breaker's name in the app (optimizer.breaker_states.name). */
const quoteBreaker = "upstream-quotes";

export function resilienceFeature(compression: number): SuiteFeature {
  const real = (traceMs: number) => String(Math.max(1, Math.round(traceMs / compression)));
  const s = resilienceSettings;
  return {
    name: `resilience (quote calls behind the breaker every isolate shares: open after ${s.failures} ` +
      `failures in a row, one probe per ${s.halfOpenAfterTraceMs / SECOND_MS} s; a failed quote answered ` +
      `from its cache entry up to ${s.staleIfErrorTraceMs / HOUR_MS} h old, else from the newest stored bar)`,
    functionsEnv: {
      APP_BREAKER: "shared",
      APP_BREAKER_FAILURES: String(s.failures),
      APP_BREAKER_HALF_OPEN_AFTER_MS: real(s.halfOpenAfterTraceMs),
      APP_BREAKER_READ_INTERVAL_MS: real(s.readIntervalTraceMs),
      APP_CACHE_STALE_IF_ERROR_MS: real(s.staleIfErrorTraceMs),
      APP_QUOTE_FALLBACK: "last-candle",
    },
    // Each scenario starts with the circuit closed: an earlier run's outage must not carry over.
    prepare: async (world) => {
      await world.sql`delete from optimizer.breaker_states where name = ${quoteBreaker}`;
    },
  };
}
