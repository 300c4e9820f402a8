import assert from "node:assert/strict";
import { quoteFallbackFromEnv } from "../../bench/reference_app/quote_fallback.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("quoteFallbackFromEnv() is off unless APP_QUOTE_FALLBACK names a fallback", () => {
  assert.equal(quoteFallbackFromEnv(env({})), "off");
  assert.equal(quoteFallbackFromEnv(env({ APP_QUOTE_FALLBACK: " " })), "off");
  assert.equal(quoteFallbackFromEnv(env({ APP_QUOTE_FALLBACK: "last-candle" })), "last-candle");
});

Deno.test("quoteFallbackFromEnv() refuses an unknown fallback, naming the variable and the choices", () => {
  assert.throws(
    () => quoteFallbackFromEnv(env({ APP_QUOTE_FALLBACK: "zero" })),
    /APP_QUOTE_FALLBACK must be one of "off", "last-candle": got "zero"/,
  );
});
