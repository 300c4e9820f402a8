import assert from "node:assert/strict";
import { checkSystemTargets, gainPairs } from "../../bench/harness/system_targets.ts";
import type { SystemRunReport } from "../../bench/harness/suite_recommendations.ts";
import type { SystemDeadlineCheck } from "../../bench/harness/system_deadline.ts";
import { pairedRatio } from "../../bench/stats/paired.ts";
import { estimatedGain } from "../../shared/mod.ts";

const run = (
  estimatedGainPercent: number,
  target: SystemRunReport["target"] = null,
  checks: [number, number | null][] = [],
): SystemRunReport => ({
  runId: "1",
  maxDurationMs: 60_000,
  targetGainPercent: 80,
  executionTimeMs: 900,
  roundTripMs: 950,
  applied: [],
  estimatedGainPercent,
  target,
  skipped: [],
  rejected: [],
  checks: checks.map(([estimate, relativeError]) => ({
    findingId: "1",
    appliedAt: "2026-11-30T00:00:00.000Z",
    kind: "index-build",
    checkedAt: "2026-11-30T01:00:00.000Z",
    verdict: relativeError === null ? "pending" : "kept",
    rolledBack: false,
    estimate: estimatedGain(estimate, "ms", "m"),
    measured: null,
    relativeError,
    reason: "r",
  })),
});

const deadline = (roundTripMs: number): SystemDeadlineCheck => ({
  delayMs: 100,
  maxDurationMs: 5_000,
  targetGainPercent: 80,
  roundTripMs,
  executionTimeMs: roundTripMs - 50,
  ratio: roundTripMs / 5_000,
  applied: 1,
  skipped: { deadline: 2 },
  stoppedEarly: null,
  target: { reached: false, reason: "below" },
  estimatedGainPercent: 40,
});

/** App DB time of baseline and optimized per repeat. */
const dbTime = (pairs: [number, number][]) =>
  pairedRatio(
    pairs.map(([baseline], repeat) => ({ repeat, value: baseline })),
    pairs.map(([, optimized], repeat) => ({ repeat, value: optimized })),
  );

Deno.test("gainPairs() sets each repeat's estimate beside 1 − its app DB time ratio", () => {
  const pairs = gainPairs([run(75), run(70)], dbTime([[10_000, 2_000], [10_000, 3_000]]));
  assert.deepEqual(pairs, [
    { repeat: 0, estimatedPercent: 75, measuredPercent: 80, relativeError: 0.063 },
    { repeat: 1, estimatedPercent: 70, measuredPercent: 70, relativeError: 0 },
  ]);
});

Deno.test("gainPairs() has no relative error for a repeat that measured no gain", () => {
  const [pair] = gainPairs([run(10)], dbTime([[1_000, 1_200]]));
  assert.equal(pair.relativeError, null);
  assert.equal(pair.measuredPercent, -20);
});

Deno.test("checkSystemTargets() fails a run that overran maxDurationMs by more than 10 %", () => {
  const runs = [run(75, { reached: false, reason: "below the target" })];
  const [inTime] = checkSystemTargets(runs, deadline(5_400));
  assert.equal(inTime.met, true);
  const [late] = checkSystemTargets(runs, deadline(5_600));
  assert.equal(late.met, false);
  assert.match(late.measured, /^5600 ms \(1\.12 of maxDurationMs\); applied 1, skipped \{"deadline":2\}/);
});

Deno.test("checkSystemTargets() fails a run with no target verdict", () => {
  const runs = [run(75, { reached: true, reason: "x" }), run(75)];
  const [, explained] = checkSystemTargets(runs, deadline(5_000));
  assert.equal(explained.met, false);
});

Deno.test("checkSystemTargets() holds the suite's checks to a median relative error of 25 % per kind", () => {
  const [, , within] = checkSystemTargets([
    run(50, null, [[100, 0.1]]),
    run(50, null, [[100, 0.2], [90, null]]),
  ], deadline(5_000));
  assert.equal(within.met, true);
  assert.match(within.measured, /^index-build: 15 % over 2 check\(s\); kept: 100 ms estimated/);
  const [, , off] = checkSystemTargets(
    [run(50, null, [[100, 0.3]]), run(50, null, [[100, 0.4]])],
    deadline(5_000),
  );
  assert.equal(off.met, false);
});

Deno.test("checkSystemTargets() fails the estimator's target when no check measured anything", () => {
  const [, , none] = checkSystemTargets([run(50, null, [[100, null]])], deadline(5_000));
  assert.equal(none.met, false);
});
