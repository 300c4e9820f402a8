import assert from "node:assert/strict";
import { createProgress, estimateSecondsLeft, progressLine } from "../../bench/harness/progress.ts";

const plan = [
  { name: "load", expectedSeconds: 10 },
  { name: "replay", expectedSeconds: 60 },
  { name: "report", expectedSeconds: 5 },
];

Deno.test("estimateSecondsLeft() scales what remains by the pace of the finished phases", () => {
  // load took 20 s instead of 10: everything after is expected to take twice as long.
  const state = { plan, current: 1, startedMs: 0, phaseStartedMs: 20_000, finishedSeconds: [20] };
  assert.equal(estimateSecondsLeft(state, 30_000), (60 * 2 - 10) + 5 * 2);
});

Deno.test("estimateSecondsLeft() uses the plan as it is before any phase has finished", () => {
  const state = { plan, current: 0, startedMs: 0, phaseStartedMs: 0, finishedSeconds: [] };
  assert.equal(estimateSecondsLeft(state, 4_000), 6 + 60 + 5);
});

Deno.test("progressLine() names the phase, its detail, the time elapsed and the time left", () => {
  const state = { plan, current: 1, startedMs: 0, phaseStartedMs: 10_000, finishedSeconds: [10] };
  assert.equal(
    progressLine(state, 70_000, "900 / 1,000 requests"),
    "[2/3 replay: 900 / 1,000 requests] elapsed 1:10, about 0:05 left",
  );
});

Deno.test("createProgress() prints a line per phase off a terminal and refuses phases not in the plan", () => {
  const lines: string[] = [];
  let t = 0;
  const progress = createProgress(plan, (text) => lines.push(text), false, () => t);
  t = 10_000;
  progress.phase("replay");
  progress.detail("half way"); // within 15 s of the last line: not printed
  t = 40_000;
  progress.detail("three quarters");
  assert.throws(() => progress.phase("load"), /not in the plan/);
  progress.finish();
  assert.deepEqual(lines, [
    "[2/3 replay] elapsed 0:10, about 1:05 left\n",
    "[2/3 replay: three quarters] elapsed 0:40, about 0:35 left\n",
  ]);
});
