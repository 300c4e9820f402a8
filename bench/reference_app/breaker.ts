import { envWholeNumber } from "./env.ts";

/**
 * Whether the app's quote calls go through the suite's circuit breaker (shared/resilience/, docs/resilience.md):
 * APP_BREAKER=off|shared, APP_BREAKER_FAILURES (consecutive failures that open it), APP_BREAKER_HALF_OPEN_AFTER_MS
 * (how long it stays open before one probe), APP_BREAKER_READ_INTERVAL_MS (how often an isolate reads the shared
 * state at most).
 */
export type BreakerSettings =
  | { mode: "off" }
  | { mode: "shared"; failures: number; halfOpenAfterMs: number; readIntervalMs: number };

export const breakerDefaults = { failures: 5, halfOpenAfterMs: 10_000, readIntervalMs: 1_000 } as const;

/** Reads the breaker switches; throws with the variable's name when one is malformed. */
export function breakerSettingsFromEnv(get: (name: string) => string | undefined): BreakerSettings {
  const mode = get("APP_BREAKER")?.trim() || "off";
  if (mode === "off") return { mode };
  if (mode !== "shared") throw new Error(`APP_BREAKER must be "off" or "shared": got "${mode}"`);
  return {
    mode,
    failures: envWholeNumber(get, "APP_BREAKER_FAILURES", breakerDefaults.failures)!,
    halfOpenAfterMs: envWholeNumber(get, "APP_BREAKER_HALF_OPEN_AFTER_MS", breakerDefaults.halfOpenAfterMs)!,
    readIntervalMs: envWholeNumber(get, "APP_BREAKER_READ_INTERVAL_MS", breakerDefaults.readIntervalMs)!,
  };
}
