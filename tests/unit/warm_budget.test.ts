import assert from "node:assert/strict";
import {
  analyzeWarmBudget,
  budgetedFunctions,
  parseConfig,
  resolveWarmBudgetOptions,
  type WarmBudgetInput,
} from "../../shared/mod.ts";

const window = { from: "2026-11-30T10:00:00.000Z", to: "2026-11-30T11:00:00.000Z" };
const config = parseConfig({ modules: { warmer: true }, limits: { warmPingsPerHour: 120 } });

function input(fields: Partial<WarmBudgetInput> = {}): WarmBudgetInput {
  return {
    window,
    functions: [
      { fn: "robots", requests: 600, coldStarts: 20, leftOutPings: 40, leftOutChance: 8.5 },
      { fn: "robot-chat", requests: 150, coldStarts: 2, leftOutPings: 30, leftOutChance: 6 },
    ],
    pings: { coldPings: 30, coldMeanMs: 110, warmPings: 80, warmMeanMs: 12 },
    ...fields,
  };
}

const rejection = (result: ReturnType<typeof analyzeWarmBudget>) => result.rejected[0]?.reason;

Deno.test("analyzeWarmBudget() proposes the budget that buys the pings left out, its gain the boots they avoid", () => {
  const [finding] = analyzeWarmBudget(input(), config).findings;
  assert.equal(finding.rule, "warm.budget-short");
  assert.deepEqual(finding.action, { kind: "config", patch: { limits: { warmPingsPerHour: 190 } } });
  // robots 8.5 of its 20 cold starts, robot-chat at most its 2: 10.5 boots of 98 ms
  assert.equal(finding.gain?.kind, "estimated");
  assert.equal(finding.gain?.value, 1029);
  assert.equal(finding.gain?.unit, "ms");
  assert.equal(finding.autoApplicable, false);
  assert.deepEqual(finding.evidence.statistic, { name: "pings an hour added", value: 70, unit: "pings" });
});

Deno.test("analyzeWarmBudget() scales the pings left out to an hour of the window", () => {
  const half = { from: window.from, to: "2026-11-30T10:30:00.000Z" };
  const [finding] = analyzeWarmBudget(input({ window: half }), config).findings;
  assert.deepEqual(finding.action, { kind: "config", patch: { limits: { warmPingsPerHour: 260 } } });
});

Deno.test("analyzeWarmBudget() says nothing while the warmer is off", () => {
  const off = parseConfig({ modules: { warmer: false } });
  assert.equal(rejection(analyzeWarmBudget(input(), off)), "modules.warmer is off: no budget to raise");
});

Deno.test("analyzeWarmBudget() says nothing for a few pings left out", () => {
  const few = input({
    functions: [{ fn: "robots", requests: 600, coldStarts: 20, leftOutPings: 3, leftOutChance: 2 }],
  });
  assert.equal(
    rejection(analyzeWarmBudget(few, config)),
    "3 pings left out for the budget is below minLeftOutPings 10",
  );
});

Deno.test("analyzeWarmBudget() needs a boot measured on enough pings of each kind", () => {
  const unmeasured = input({ pings: { coldPings: 2, coldMeanMs: 100, warmPings: 80, warmMeanMs: 10 } });
  assert.match(
    rejection(analyzeWarmBudget(unmeasured, config)),
    /^a boot's cost is not measured: 2 pings booted/,
  );
});

Deno.test("analyzeWarmBudget() says nothing when a boot costs nothing measurable", () => {
  const free = input({ pings: { coldPings: 10, coldMeanMs: 10, warmPings: 80, warmMeanMs: 12 } });
  assert.match(rejection(analyzeWarmBudget(free, config)), /a cold start costs nothing measurable$/);
});

Deno.test("analyzeWarmBudget() counts no more avoidable cold starts than the requests met", () => {
  const warmAlready = input({
    functions: [{ fn: "robots", requests: 600, coldStarts: 0, leftOutPings: 40, leftOutChance: 8.5 }],
  });
  assert.match(
    rejection(analyzeWarmBudget(warmAlready, config)),
    /^the pings left out were expected to avoid 0.00 cold starts, below minColdStartsAvoided 1$/,
  );
});

Deno.test("analyzeWarmBudget() says nothing at the budget's ceiling", () => {
  const ceiling = parseConfig({ modules: { warmer: true }, limits: { warmPingsPerHour: 100_000 } });
  assert.equal(
    rejection(analyzeWarmBudget(input(), ceiling)),
    "limits.warmPingsPerHour is at its ceiling 100000",
  );
});

Deno.test("budgetedFunctions() reads back the functions and the boot's cost a finding states", () => {
  const [finding] = analyzeWarmBudget(input(), config).findings;
  assert.deepEqual(budgetedFunctions(finding), {
    functions: [
      { fn: "robots", requests: 600, coldStarts: 20, expectedAvoided: 8.5 },
      { fn: "robot-chat", requests: 150, coldStarts: 2, expectedAvoided: 2 },
    ],
    bootMs: 98,
  });
  assert.equal(budgetedFunctions({ ...finding, rule: "edge.cold-start-rate" }), null);
});

Deno.test("resolveWarmBudgetOptions() names an option out of bounds", () => {
  assert.throws(() => resolveWarmBudgetOptions({ minBootPings: 0 }), /minBootPings must be >= 1: got 0/);
});
