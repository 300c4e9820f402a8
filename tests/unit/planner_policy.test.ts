import assert from "node:assert/strict";
import { simulateFunctionWarming } from "../../bench/sim/warming.ts";
import { noWarming, oracle } from "../../bench/sim/warming_policies.ts";
import { plannerPolicy } from "../../shared/warm/planner_policy.ts";
import type { WarmingPolicy } from "../../shared/warm/policy.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";

const workerOptions = { idleTimeoutMs: MINUTE_MS, maxLifetimeMs: 2.5 * MINUTE_MS };

function run(requestTimes: number[], policy: WarmingPolicy, endMs = requestTimes.at(-1) ?? 0) {
  return simulateFunctionWarming(
    { fn: "robots", requestTimes, endMs, coldStartMs: 100, workerOptions },
    policy,
  );
}

/** A request every `everyMs` from `fromMs` to `toMs` (exclusive). */
function every(everyMs: number, fromMs: number, toMs: number): number[] {
  const times: number[] = [];
  for (let t = fromMs; t < toMs; t += everyMs) times.push(t);
  return times;
}

Deno.test("plannerPolicy() boots a busy function's successor as each lifetime ends", () => {
  // A request every 5 s for an hour: without pings, every 150 s lifetime ends in a cold start.
  const times = every(5_000, 0, 60 * MINUTE_MS);
  const none = run(times, noWarming());
  const planner = run(times, plannerPolicy());
  assert.ok(none.coldStarts >= 20, `expected lifetime cold starts without pings: ${none.coldStarts}`);
  // The first minutes teach the rate; after them, no request finds the worker gone.
  assert.ok(planner.coldStarts <= 2, `cold starts with the planner: ${planner.coldStarts}`);
  assert.ok(planner.pings <= none.coldStarts, `pings: ${planner.pings}`);
});

Deno.test("plannerPolicy() pre-warms a daily burst it has seen on earlier days", () => {
  // A request every 20 s from 09:00 to 09:10, four days running: the burst's first request is cold on day one.
  const times = [0, 1, 2, 3].flatMap((day) =>
    every(20_000, day * DAY_MS + 540 * MINUTE_MS, day * DAY_MS + 550 * MINUTE_MS)
  );
  const lastDay = (policy: WarmingPolicy) =>
    run(times, policy).coldStarts - run(times.filter((t) => t < 3 * DAY_MS), policy).coldStarts;
  assert.ok(lastDay(noWarming()) >= 1);
  assert.equal(lastDay(plannerPolicy()), 0);
});

Deno.test("plannerPolicy() sends no ping during a long quiet spell", () => {
  // Two requests ten hours apart, nothing between: nothing justifies keeping a worker.
  const counts = run([0, 10 * 60 * MINUTE_MS], plannerPolicy());
  assert.equal(counts.pings, 0);
});

Deno.test("plannerPolicy() under the cost priority sends fewer pings than under performance", () => {
  // Requests with exponential gaps averaging 75 s: the planner is unsure about most idle windows.
  let t = 0;
  let state = 7;
  const times: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    state = (state * 48271) % 2147483647;
    t += Math.floor(-Math.log(state / 2147483647) * 75_000);
    times.push(t);
  }
  const performance = run(times, plannerPolicy({ priority: "performance" }));
  const cost = run(times, plannerPolicy({ priority: "cost" }));
  assert.ok(cost.pings < performance.pings, `cost ${cost.pings} vs performance ${performance.pings} pings`);
  assert.ok(cost.coldStarts >= performance.coldStarts);
  assert.ok(performance.coldStarts >= run(times, oracle()).coldStarts);
});

Deno.test("plannerPolicy() rejects a search step of 0", () => {
  assert.throws(
    () => plannerPolicy({ searchStepMs: 0 }),
    /searchStepMs must be > 0 and searchHorizonMs >= 0: got 0/,
  );
});
