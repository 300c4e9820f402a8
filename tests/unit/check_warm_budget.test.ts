import assert from "node:assert/strict";
import {
  checkWarmBudget,
  type ColdStartCounts,
  estimatedGain,
  type WarmBudgetCheckInput,
} from "../../shared/mod.ts";

const afterWindow = { from: "2026-11-30T12:00:00.000Z", to: "2026-11-30T13:00:00.000Z" };

function input(after: Record<string, ColdStartCounts>): WarmBudgetCheckInput {
  return {
    estimate: estimatedGain(1000, "ms", "m"),
    functions: [
      { fn: "robots", requests: 600, coldStarts: 60, expectedAvoided: 8 },
      { fn: "robot-chat", requests: 100, coldStarts: 20, expectedAvoided: 2 },
    ],
    bootMs: 100,
    after: new Map(Object.entries(after)),
    afterWindow,
  };
}

Deno.test("checkWarmBudget() waits for minCalls requests since the apply", () => {
  const check = checkWarmBudget(input({ robots: { requests: 5, coldStarts: 0 } }), { minCalls: 20 });
  assert.deepEqual(check, {
    verdict: "pending",
    reason: "5 request(s) of the warmed functions since the apply: verification.minCalls is 20",
  });
});

Deno.test("checkWarmBudget() measures the cold starts avoided per request, in the estimate's terms", () => {
  // robots 10 % → 5 %: 30 of its 600; robot-chat 20 % → 20 %: none; 30 boots of 100 ms
  const check = checkWarmBudget(
    input({ robots: { requests: 300, coldStarts: 15 }, "robot-chat": { requests: 50, coldStarts: 10 } }),
    { minCalls: 20 },
  );
  assert.equal(check.verdict, "kept");
  assert.equal(check.measured.value, 3000);
  assert.equal(check.measured.unit, "ms");
  assert.deepEqual(check.measured.window, afterWindow);
  assert.equal(check.relativeError, 0.667);
  assert.match(
    check.reason,
    /^2 function\(s\), 350 request\(s\) since the apply: 11\.4 % of requests started cold before/,
  );
});

Deno.test("checkWarmBudget() gives the measured saving's standard error from each function's counts", () => {
  // robots: 600² × (0.1 × 0.9 / 600 + 0.05 × 0.95 / 300) = 111; robot-chat: 100² × (0.16 / 100 + 0.16 / 50) = 48;
  // √159 cold starts of 100 ms each
  const check = checkWarmBudget(
    input({ robots: { requests: 300, coldStarts: 15 }, "robot-chat": { requests: 50, coldStarts: 10 } }),
    { minCalls: 20 },
  );
  assert.ok(check.verdict === "kept");
  assert.equal(check.stdError, 1260.95);
  assert.match(
    check.reason,
    /a measured saving of 3000 ms \(± 1260\.95 at one standard error\) against the 1000 ms/,
  );
});

Deno.test("checkWarmBudget() finds a budget whose pings avoided no cold starts unused", () => {
  const check = checkWarmBudget(input({ robots: { requests: 300, coldStarts: 30 } }), { minCalls: 20 });
  assert.equal(check.verdict, "unused");
  assert.match(check.reason, /^the pings the raised budget bought avoided no cold starts; /);
});

Deno.test("checkWarmBudget() compares only the functions that served requests before and since", () => {
  const check = checkWarmBudget(
    input({ robots: { requests: 300, coldStarts: 0 }, gone: { requests: 9, coldStarts: 9 } }),
    {
      minCalls: 20,
    },
  );
  assert.equal(check.verdict, "kept");
  assert.equal(check.measured.value, 6000);
});
