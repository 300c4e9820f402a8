import assert from "node:assert/strict";
import { checkCacheBudget, estimatedGain, type LookupCounts } from "../../shared/mod.ts";

const afterWindow = { from: "2026-11-30T00:00:00.000Z", to: "2026-11-30T01:00:00.000Z" };
const options = { minCalls: 20 };

/** A budget estimated to add 0.1 to namespace quotes' hit rate, 0.6 before (600 hits of 1000 lookups). */
function check(after: LookupCounts) {
  return checkCacheBudget({
    estimate: estimatedGain(0.1, "hit rate", "test model"),
    namespace: "quotes",
    before: { hits: 600, misses: 400 },
    after,
    afterWindow,
  }, options);
}

Deno.test("checkCacheBudget() waits for minCalls lookups since the apply", () => {
  const outcome = check({ hits: 10, misses: 5 });
  assert.equal(outcome.verdict, "pending");
  assert.match(
    outcome.reason,
    /^15 lookup\(s\) of namespace quotes since the apply, 1000 in the estimate's window/,
  );
});

Deno.test("checkCacheBudget() measures the hit rate gained per lookup against the estimate", () => {
  const outcome = check({ hits: 160, misses: 40 });
  assert.ok(outcome.verdict === "kept");
  assert.deepEqual([outcome.measured.value, outcome.measured.unit], [0.2, "hit rate"]);
  assert.deepEqual(outcome.measured.window, afterWindow);
  assert.equal(outcome.relativeError, 0.5);
  assert.match(
    outcome.reason,
    /hit rate 60 % before, 80 % since: a measured gain of 0\.2 \(± 0\.0322 at one standard error\) against the 0\.1 estimated$/,
  );
});

Deno.test("checkCacheBudget() gives the measured gain's standard error from both windows' lookups", () => {
  // √(0.6 × 0.4 / 1000 + 0.8 × 0.2 / 200) = 0.0322; with 800 lookups since, √(0.00024 + 0.0002) = 0.021
  const few = check({ hits: 160, misses: 40 });
  const many = check({ hits: 640, misses: 160 });
  assert.ok(few.verdict === "kept" && many.verdict === "kept");
  assert.equal(few.stdError, 0.0322);
  assert.equal(many.stdError, 0.021);
});

Deno.test("checkCacheBudget() compares per lookup, so a quieter hour after the apply is no loss", () => {
  const busy = check({ hits: 1_400, misses: 600 });
  const quiet = check({ hits: 35, misses: 15 });
  assert.ok(busy.verdict === "kept" && quiet.verdict === "kept");
  assert.equal(busy.measured.value, quiet.measured.value);
});

Deno.test("checkCacheBudget() finds a budget that bought no hits unused", () => {
  const outcome = check({ hits: 110, misses: 90 });
  assert.equal(outcome.verdict, "unused");
  assert.match(outcome.reason, /^the raised budget bought no hits; .*hit rate 60 % before, 55 % since/);
});
