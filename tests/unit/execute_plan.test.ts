import assert from "node:assert/strict";
import {
  executePlan,
  type PlannedAction,
  type StepOutcome,
  type SystemPlan,
  targetVerdict,
} from "../../shared/mod.ts";
import { buildCandidate } from "../support/system_fixtures.ts";

/** A plan of builds each saving `percents[i]` % of a 100 s workload, expected to take `durations[i]` ms. */
function planOf(percents: number[], durations: number[] = percents.map(() => 100)): SystemPlan {
  const actions: PlannedAction[] = percents.map((percent, i) => {
    const candidate = buildCandidate(String(i + 1), [`c${i}`], percent * 1_000);
    candidate.costs.durationMs = durations[i];
    return { candidate, score: percent };
  });
  return { actions, rejected: [] };
}

/** A clock that advances `stepMs` per applied action, and an apply that records the time it was given. */
function fakeRun(stepMs: number, fail: string[] = []) {
  let now = 0;
  const given: number[] = [];
  const apply = (action: PlannedAction, timeLeftMs: number): Promise<StepOutcome> => {
    given.push(timeLeftMs);
    now += stepMs;
    return Promise.resolve(
      fail.includes(action.candidate.findingId ?? "")
        ? { ok: false, reason: "canceling statement due to statement timeout" }
        : { ok: true, detail: {} },
    );
  };
  return { clock: () => now, given, apply };
}

Deno.test("executePlan() stops once the applied actions reach targetGainPercent, and says so", async () => {
  const run = fakeRun(10);
  const execution = await executePlan(
    planOf([6, 5, 4]),
    { deadline: 10_000, clock: run.clock, targetGainPercent: 10, reserveMs: 0 },
    run.apply,
  );
  assert.deepEqual(execution.applied.map((a) => a.findingId), ["1", "2"]);
  assert.deepEqual(execution.skipped.map((s) => [s.findingId, s.kind]), [["3", "target"]]);
  assert.match(
    execution.stoppedEarly!,
    /estimated at 11 % of the database time, at least targetGainPercent 10 %/,
  );
});

Deno.test("executePlan() skips an action that does not fit in the time left and applies a shorter one after it", async () => {
  const run = fakeRun(100);
  const execution = await executePlan(
    planOf([6, 5, 4], [100, 5_000, 100]),
    { deadline: 1_000, clock: run.clock, targetGainPercent: null, reserveMs: 200 },
    run.apply,
  );
  assert.deepEqual(execution.applied.map((a) => a.findingId), ["1", "3"]);
  assert.deepEqual(execution.skipped, [{
    findingId: "2",
    rule: "index.suggest",
    subject: "index:public.robots(c1)",
    kind: "deadline",
    reason: "it needs an estimated 5000 ms and 700 ms are left before maxDurationMs",
  }]);
  assert.equal(execution.stoppedEarly, null);
});

Deno.test("executePlan() gives each action the time left, less what recording the run takes", async () => {
  const run = fakeRun(100);
  await executePlan(
    planOf([1, 1, 1]),
    { deadline: 1_000, clock: run.clock, targetGainPercent: null, reserveMs: 200 },
    run.apply,
  );
  assert.deepEqual(run.given, [800, 700, 600]);
});

Deno.test("executePlan() reports an action that failed with its reason and goes on", async () => {
  const run = fakeRun(10, ["1"]);
  const execution = await executePlan(
    planOf([6, 5]),
    { deadline: 10_000, clock: run.clock, targetGainPercent: null, reserveMs: 0 },
    run.apply,
  );
  assert.deepEqual(execution.applied.map((a) => a.findingId), ["2"]);
  assert.deepEqual(execution.skipped.map((s) => [s.findingId, s.kind, s.reason]), [
    ["1", "failed", "canceling statement due to statement timeout"],
  ]);
  assert.equal(execution.gainPercent, 5);
});

Deno.test("targetVerdict() explains a target the plan's actions cannot reach together", () => {
  const verdict = targetVerdict(50, planOf([6, 5]), { gainPercent: 11, skipped: [] });
  assert.deepEqual(verdict, {
    reached: false,
    reason: "the applied actions are estimated at 11 %, below the target 50 %: the plan's 2 action(s) " +
      "together are estimated at 11 % (see rejected for the candidates left out)",
  });
});

Deno.test("targetVerdict() names the actions the deadline left out when they would have reached the target", () => {
  const verdict = targetVerdict(10, planOf([6, 5]), {
    gainPercent: 6,
    skipped: [{ findingId: "2", rule: "index.suggest", subject: "s", kind: "deadline", reason: "r" }],
  });
  assert.equal(verdict?.reached, false);
  assert.match(verdict!.reason, /below the target 10 %: 1 action\(s\) did not fit in maxDurationMs$/);
});

Deno.test("targetVerdict() is null without a target", () => {
  assert.equal(targetVerdict(null, planOf([6]), { gainPercent: 6, skipped: [] }), null);
});
