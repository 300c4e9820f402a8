import assert from "node:assert/strict";
import { checkReliabilityTargets, slowDatabaseFor } from "../../bench/harness/reliability.ts";
import { compareRuns } from "../../bench/harness/report.ts";
import type { ScenarioRun } from "../../bench/harness/scenario.ts";
import { MINUTE_MS } from "../../shared/time.ts";

Deno.test("slowDatabaseFor() slows the database from halfway through the first outage for four minutes", () => {
  const slow = slowDatabaseFor({
    outages: [{ startMs: 20 * MINUTE_MS, endMs: 28 * MINUTE_MS }],
    durationMs: 60 * MINUTE_MS,
  });
  assert.deepEqual(slow, { windows: [{ startMs: 24 * MINUTE_MS, endMs: 28 * MINUTE_MS }], delayMs: 100 });
});

Deno.test("slowDatabaseFor() cuts the slow period at the trace's end, and has none without an outage", () => {
  const late = slowDatabaseFor({
    outages: [{ startMs: 54 * MINUTE_MS, endMs: 60 * MINUTE_MS }],
    durationMs: 60 * MINUTE_MS,
  });
  assert.deepEqual(late.windows, [{ startMs: 57 * MINUTE_MS, endMs: 60 * MINUTE_MS }]);
  assert.deepEqual(slowDatabaseFor({ outages: [], durationMs: 60 * MINUTE_MS }).windows, []);
});

/** A run with only what the reliability targets read. */
function run(scenario: string, repeat: number, figures: {
  outageErrorRate: number;
  recoveryMs: number | null;
  callsInOutage: number;
}): ScenarioRun {
  return {
    scenario,
    repeat,
    figures: {
      overall: {},
      byEndpoint: {},
      coldStarts: {},
      counters: { workerBootTimes: {}, appIndexBytes: 0 },
      outageFallbacks: {},
      slowDatabase: {},
      outageErrorRate: figures.outageErrorRate,
      recoveryMs: figures.recoveryMs,
    },
    upstream: { requests: 100, duringOutage: figures.callsInOutage, outageMs: 6 * MINUTE_MS },
  } as unknown as ScenarioRun;
}

function targets(optimized: Parameters<typeof run>[2][]) {
  const runs = optimized.flatMap((figures, repeat) => [
    run("baseline", repeat, { outageErrorRate: 0.2, recoveryMs: 5_000, callsInOutage: 30 }),
    run("optimized", repeat, figures),
  ]);
  return checkReliabilityTargets(compareRuns(runs, ["baseline", "optimized"], ["baseline"]), runs);
}

Deno.test("checkReliabilityTargets() meets each target when every repeat does", () => {
  const checks = targets([
    { outageErrorRate: 0, recoveryMs: 12_000, callsInOutage: 20 },
    { outageErrorRate: 0.01, recoveryMs: 30_000, callsInOutage: 36 },
  ]);
  assert.deepEqual(checks.map((c) => c.met), [true, true, true]);
  assert.equal(checks[2].measured, "0.56; 1.00");
});

Deno.test("checkReliabilityTargets() fails a target one repeat misses, and a recovery never seen", () => {
  const checks = targets([
    { outageErrorRate: 0.02, recoveryMs: 12_000, callsInOutage: 20 },
    { outageErrorRate: 0, recoveryMs: null, callsInOutage: 37 },
  ]);
  assert.deepEqual(checks.map((c) => c.met), [false, false, false]);
  assert.match(checks[1].measured, /no quote after it/);
});
