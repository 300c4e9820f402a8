import assert from "node:assert/strict";
import { breakerSettingsFromEnv } from "../../bench/reference_app/breaker.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("breakerSettingsFromEnv() is off unless APP_BREAKER=shared, with defaults for the rest", () => {
  assert.deepEqual(breakerSettingsFromEnv(env({})), { mode: "off" });
  assert.deepEqual(breakerSettingsFromEnv(env({ APP_BREAKER: "shared", APP_BREAKER_FAILURES: "3" })), {
    mode: "shared",
    failures: 3,
    halfOpenAfterMs: 10_000,
    readIntervalMs: 1_000,
  });
});

Deno.test("breakerSettingsFromEnv() names the variable that is malformed", () => {
  assert.throws(
    () => breakerSettingsFromEnv(env({ APP_BREAKER: "local" })),
    /APP_BREAKER must be "off" or "shared"/,
  );
  assert.throws(
    () => breakerSettingsFromEnv(env({ APP_BREAKER: "shared", APP_BREAKER_HALF_OPEN_AFTER_MS: "0" })),
    /APP_BREAKER_HALF_OPEN_AFTER_MS must be a whole number >= 1: got "0"/,
  );
});
