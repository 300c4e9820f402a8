import assert from "node:assert/strict";
import { settingClock, wallClock } from "../../shared/clock.ts";

Deno.test("wallClock() shows wall-clock time and runs at rate 1", () => {
  const clock = wallClock(() => 1_000);
  assert.equal(clock.now(), 1_000);
  assert.equal(clock.rate, 1);
});

Deno.test("settingClock() goes on from its origin at its rate", () => {
  let real = 10_000;
  const clock = settingClock({ rate: 60, originRealMs: 10_000, originAtMs: 50_000 }, () => real);
  assert.equal(clock.now(), 50_000);
  real += 1_000;
  assert.equal(clock.now(), 50_000 + 60_000, "a wall-clock second is a minute on a 60x clock");
});

Deno.test("settingClock() sleeps a clock minute in a wall-clock second at 60x", async () => {
  const clock = settingClock({ rate: 60, originRealMs: Date.now(), originAtMs: 0 });
  const started = performance.now();
  await clock.sleep(60_000);
  const waited = performance.now() - started;
  assert.ok(waited >= 990 && waited < 3_000, `waited ${waited} ms`);
});

Deno.test("settingClock() refuses a rate outside 1 to 3600, as optimizer.set_clock_rate() does", () => {
  for (const rate of [0, 0.5, 3601, Number.NaN]) {
    assert.throws(
      () => settingClock({ rate, originRealMs: 0, originAtMs: 0 }),
      new RegExp(`rate must be between 1 and 3600: got ${rate}`),
    );
  }
});
