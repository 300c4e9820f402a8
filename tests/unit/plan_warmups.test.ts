import assert from "node:assert/strict";
import { estimateWorker, IdleGaps, planWarmups, type WarmTargetInput } from "../../shared/mod.ts";
import { MINUTE_MS } from "../../shared/time.ts";

const workerOptions = { idleTimeoutMs: MINUTE_MS, maxLifetimeMs: 150_000 };
const nowMs = Date.parse("2026-11-28T12:00:00Z");
const nowMinute = nowMs / MINUTE_MS;
const options = {
  windowMs: MINUTE_MS,
  priority: "performance" as const,
  pingsPerHour: Infinity,
  pingsLeft: 100,
  workerOptions,
  unmeasuredBootMs: 1_000,
  searchStepMs: 10_000,
  requestStoredWithinMs: 2_000,
};

/** A function with `perMinute` requests in each of the last 30 minutes. */
function target(fn: string, perMinute: number, overrides: Partial<WarmTargetInput> = {}): WarmTargetInput {
  return {
    fn,
    counts: { firstMinute: nowMinute - 30, count: (m) => (m < nowMinute ? perMinute : 0) },
    gaps: null,
    lastRequestMs: perMinute > 0 ? nowMs - 1_000 : null,
    lastPingMs: null,
    bootedAtMs: null,
    coldStartMs: 400,
    backedOffUntilMs: null,
    pendingPingsMs: [],
    ...overrides,
  };
}

Deno.test("planWarmups() plans a refresh for a function its traffic keeps warm, to be dropped if a request comes first", () => {
  // Its worker booted 20 s ago (the last ping said): its lifetime ends after this window.
  const plan = planWarmups(
    [target("busy", 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 20_000 })],
    nowMs,
    options,
  );
  assert.deepEqual(plan.pings.map((p) => [p.kind, p.atMs - nowMs]), [["refresh", 58_000]]);
  assert.ok(
    plan.pings[0].trafficFirstChance > 0.99,
    `trafficFirstChance ${plan.pings[0].trafficFirstChance}`,
  );
  assert.match(plan.pings[0].reason, /dropped if a request comes first \(a chance of 100 %\)$/);
});

Deno.test("planWarmups() drops a refresh only for a request after the last one the plan knew of", () => {
  const booted = { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 20_000 };
  const [known] = planWarmups([target("busy", 60, booted)], nowMs, options).pings;
  assert.equal(known.droppedAfterRequestSinceMs, nowMs - 1_000, "its last request, a second ago");
  // The last request known is 30 s old: one in the last 2 s may not be stored yet, so it counts as unknown.
  const [older] =
    planWarmups([target("sparse", 0.5, { ...booted, lastRequestMs: nowMs - 30_000 })], nowMs, options)
      .pings;
  assert.equal(older.kind, "refresh");
  assert.equal(older.droppedAfterRequestSinceMs, nowMs - 2_000);
});

Deno.test("planWarmups() never drops a successor for traffic", () => {
  const plan = planWarmups(
    [target("busy", 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 })],
    nowMs,
    options,
  );
  assert.equal(plan.pings[0].kind, "successor");
  assert.equal(plan.pings[0].droppedAfterRequestSinceMs, null);
});

Deno.test("planWarmups() gives the hour's last ping to the one traffic is least likely to drop", () => {
  const booted = { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 20_000 };
  const plan = planWarmups(
    [target("busy", 60, booted), target("sparse", 0.5, booted)],
    nowMs,
    { ...options, pingsLeft: 1 },
  );
  assert.deepEqual(plan.pings.map((p) => [p.fn, p.kind]), [["sparse", "refresh"]]);
  assert.equal(plan.skipped.length, 1);
  assert.match(plan.skipped[0].reason, /^over limits.warmPingsPerHour: a refresh ping .* for likelier ones$/);
  assert.equal(plan.skipped[0].fn, "busy");
});

Deno.test("planWarmups() boots a successor when the worker a ping reported is about to reach its lifetime", () => {
  // The last ping found a worker booted 140 s ago: it retires at +10 s, and requests keep coming.
  const plan = planWarmups(
    [target("busy", 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 })],
    nowMs,
    options,
  );
  assert.equal(plan.pings[0]?.kind, "successor");
  assert.equal(plan.pings[0].atMs, nowMs + 10_000);
  assert.ok(plan.pings[0].expectedSavedMs! > 399, `saved ${plan.pings[0].expectedSavedMs}`);
});

Deno.test("planWarmups() probes a busy function whose worker's boot it does not know, and nothing more", () => {
  const plan = planWarmups([target("busy", 60)], nowMs, options);
  assert.deepEqual(plan.pings.map((p) => [p.kind, p.atMs - nowMs, p.expectedColdStartsAvoided]), [[
    "probe",
    0,
    0,
  ]]);
  assert.match(
    plan.pings[0].reason,
    /^learn the age of the worker its traffic keeps warm: .* chance of 100 %$/,
  );
});

Deno.test("planWarmups() probes again once the worker it knew has reached its lifetime", () => {
  const plan = planWarmups(
    [target("busy", 60, { lastPingMs: nowMs - 200_000, bootedAtMs: nowMs - 200_000 })],
    nowMs,
    options,
  );
  assert.deepEqual(plan.pings.map((p) => p.kind), ["probe"]);
});

Deno.test("planWarmups() claims no saving for a function whose cold start is not measured", () => {
  const plan = planWarmups(
    [target("busy", 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000, coldStartMs: null })],
    nowMs,
    options,
  );
  assert.equal(plan.pings[0].expectedSavedMs, null);
  assert.match(plan.pings[0].reason, /its cold-start cost is not measured yet$/);
});

Deno.test("planWarmups() skips a backed-off target and says until when", () => {
  const plan = planWarmups(
    [target("flaky", 60, { backedOffUntilMs: nowMs + 4 * MINUTE_MS })],
    nowMs,
    options,
  );
  assert.deepEqual(plan.pings, []);
  assert.deepEqual(plan.skipped, [{
    fn: "flaky",
    reason: "backed off after failed pings until 2026-11-28T12:04:00.000Z",
  }]);
});

Deno.test("planWarmups() keeps the likeliest pings within the hour's budget and says why it dropped the rest", () => {
  const dying = (fn: string, perMinute: number) =>
    target(fn, perMinute, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 });
  const plan = planWarmups([dying("likely", 60), dying("unlikely", 0.2)], nowMs, {
    ...options,
    pingsLeft: 1,
  });
  assert.deepEqual(plan.pings.map((p) => p.fn), ["likely"]);
  const dropped = plan.skipped.find((s) => s.fn === "unlikely");
  assert.match(
    dropped!.reason,
    /^over limits.warmPingsPerHour: a successor ping at .* with a chance of 18 % was dropped/,
  );
});

Deno.test("planWarmups() records the chance of each ping it leaves out for the budget, and of no other skip", () => {
  const dying = (fn: string, perMinute: number) =>
    target(fn, perMinute, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 });
  const plan = planWarmups(
    [
      dying("likely", 60),
      dying("unlikely", 0.2),
      target("flaky", 60, { backedOffUntilMs: nowMs + MINUTE_MS }),
    ],
    nowMs,
    { ...options, pingsLeft: 1 },
  );
  assert.deepEqual(plan.skipped.map((s) => [s.fn, s.budgetChance?.toFixed(2)]), [
    ["flaky", undefined],
    ["unlikely", "0.18"],
  ]);
});

Deno.test("planWarmups() leaves a ping below the hour ahead's bar for the likelier ones the budget is paced for", () => {
  // Its traffic will drop the refresh; the successors of the hour ahead cannot be dropped.
  const busy = target("busy", 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 20_000 });
  const plan = planWarmups([busy], nowMs, { ...options, pingsPerHour: 10 });
  assert.deepEqual(plan.pings, []);
  assert.match(
    plan.skipped[0].reason,
    /^paced to limits.warmPingsPerHour: a refresh ping at .* with a chance of 0 % was left for likelier ones: 10 pings an hour buy those reaching 100 % \(at exactly 100 %, those of \d+ % of the functions\), by the hour ahead's \d+ planned now$/,
  );
});

Deno.test("planWarmups() keeps a ping the hour's paced budget buys", () => {
  const dying = target("busy", 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 });
  // About 24 successors in the hour: 30 pings buy them all.
  const plan = planWarmups([dying], nowMs, { ...options, pingsPerHour: 30 });
  assert.deepEqual(plan.pings.map((p) => p.kind), ["successor"]);
});

Deno.test("planWarmups() gives the budget left at the bar to some of the functions whose pings tie there", () => {
  const dying = Array.from(
    { length: 12 },
    (_, i) => target(`busy-${i}`, 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 }),
  );
  // About 290 successors in the hour, all certain to be followed by a request: 60 pings buy one in five.
  const plan = planWarmups(dying, nowMs, { ...options, pingsPerHour: 60 });
  assert.ok(plan.pings.length >= 1 && plan.pings.length <= 5, `kept ${plan.pings.length} of 12`);
  assert.equal(plan.skipped.length, 12 - plan.pings.length);
  for (const skip of plan.skipped) {
    assert.match(skip.reason, /^paced to limits.warmPingsPerHour: a successor/);
  }
});

Deno.test("planWarmups() takes at most a tenth of what the hour has left in one window and says why", () => {
  const dying = Array.from(
    { length: 12 },
    (_, i) => target(`busy-${i}`, 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 }),
  );
  const plan = planWarmups(dying, nowMs, { ...options, pingsPerHour: 1_000, pingsLeft: 30 });
  assert.equal(plan.pings.length, 3);
  assert.equal(plan.pacing.windowCap, 3);
  assert.equal(plan.skipped.length, 9);
  for (const skip of plan.skipped) {
    assert.match(
      skip.reason,
      /^paced to limits.warmPingsPerHour: a successor ping at .* was left for later: this window takes at most 3 of the 30 pings the hour has left$/,
    );
  }
});

/**
 * Plans every minute of an hour for busy functions whose workers traffic replaces at the end of each lifetime,
 * sending each planned successor (traffic drops the refreshes); returns the pings sent per quarter hour.
 */
function pingsPerQuarter(pingsPerHour: number, budget: number): number[] {
  const functions = Array.from(
    { length: 10 },
    (_, i) => ({ fn: `busy-${i}`, bootedAtMs: nowMs - i * 15_000 }),
  );
  const known = new Map<string, { lastPingMs: number; bootedAtMs: number }>();
  const quarters = [0, 0, 0, 0];
  let spent = 0;
  for (let minute = 0; minute < 60; minute++) {
    const runMs = nowMs + minute * MINUTE_MS;
    const targets = functions.map(({ fn }) =>
      target(fn, 60, {
        counts: { firstMinute: nowMinute - 30, count: (m) => (m < nowMinute + minute ? 60 : 0) },
        lastRequestMs: runMs - 1_000,
        lastPingMs: known.get(fn)?.lastPingMs ?? null,
        bootedAtMs: known.get(fn)?.bootedAtMs ?? null,
      })
    );
    const plan = planWarmups(targets, runMs, {
      ...options,
      pingsPerHour,
      pingsLeft: budget - spent,
    });
    for (const ping of plan.pings.filter((p) => p.droppedAfterRequestSinceMs === null)) {
      const worker = functions.find((f) => f.fn === ping.fn)!;
      // Traffic boots a worker the moment its predecessor's lifetime ends; a successor ping does it instead.
      while (worker.bootedAtMs + workerOptions.maxLifetimeMs <= ping.atMs) {
        worker.bootedAtMs += workerOptions.maxLifetimeMs;
      }
      known.set(ping.fn, { lastPingMs: ping.atMs, bootedAtMs: worker.bootedAtMs });
      quarters[Math.floor(minute / 15)]++;
      spent++;
    }
  }
  return quarters;
}

Deno.test("planWarmups() spends the hour's budget through the hour, not in its first minutes", () => {
  const paced = pingsPerQuarter(60, 60);
  assert.ok(paced[0] <= 30, `half the budget or less in the first quarter: ${paced}`);
  assert.ok(paced[2] + paced[3] >= 15, `a quarter of the budget or more in the second half: ${paced}`);
  // Unpaced, the same budget is gone before the hour's second half.
  const unpaced = pingsPerQuarter(Infinity, 60);
  assert.equal(unpaced[2] + unpaced[3], 0, `${unpaced}`);
});

Deno.test("planWarmups() pre-warms a timer function its gaps say is due", () => {
  // A request every 5 minutes for days: the rate is low, the gaps say the next one comes at 12:01.
  const gaps = new IdleGaps({ resolutionMs: MINUTE_MS });
  for (let i = 0; i < 100; i++) gaps.add(5 * MINUTE_MS);
  const timer = target("timer", 0, {
    counts: { firstMinute: nowMinute - 500, count: (m) => (m % 5 === 0 && m < nowMinute ? 1 : 0) },
    gaps,
    lastRequestMs: nowMs - 4 * MINUTE_MS,
  });
  const plan = planWarmups([timer], nowMs, options);
  assert.equal(plan.pings[0]?.kind, "pre-warm");
  assert.ok(
    plan.pings[0].atMs < nowMs + MINUTE_MS && plan.pings[0].atMs >= nowMs,
    `at ${plan.pings[0].atMs - nowMs}`,
  );
});

Deno.test("estimateWorker() knows no worker once the idle timeout has passed since the last request or ping", () => {
  assert.equal(
    estimateWorker(target("quiet", 0, { lastRequestMs: nowMs - 61_000 }), nowMs, workerOptions).liveUntilMs,
    null,
  );
  assert.deepEqual(
    estimateWorker(target("quiet", 0, { lastRequestMs: nowMs - 30_000 }), nowMs, workerOptions),
    {
      liveUntilMs: nowMs + 30_000,
      retiresBy: "idle",
      bootedAtMs: null,
    },
  );
});

Deno.test("planWarmups() does not plan again a ping an earlier run planned and has yet to send", () => {
  const dying = target("busy", 60, { lastPingMs: nowMs - 5_000, bootedAtMs: nowMs - 140_000 });
  assert.equal(planWarmups([dying], nowMs, options).pings[0].atMs, nowMs + 10_000);
  const plan = planWarmups([{ ...dying, pendingPingsMs: [nowMs + 10_000] }], nowMs, options);
  assert.deepEqual(plan.pings, []);
  assert.deepEqual(plan.skipped, []);
});

Deno.test("planWarmups() plans no pre-warm where an earlier run's, planned from another instant, stands for it", () => {
  // Quiet now; yesterday and the day before, requests in the coming minutes.
  const rising = target("rising", 0, {
    counts: {
      firstMinute: nowMinute - 2 * 1440,
      count: (m) =>
        ((m - nowMinute) % 1440 + 1440) % 1440 >= 1 && ((m - nowMinute) % 1440 + 1440) % 1440 < 4 ? 30 : 0,
    },
  });
  const [earlier] = planWarmups([rising], nowMs - 3_000, options).pings;
  assert.equal(earlier.kind, "pre-warm");
  // Planned from 3 s later, the pre-warm search's 10-second steps fall elsewhere.
  const [alone] = planWarmups([rising], nowMs, options).pings;
  assert.equal(alone.kind, "pre-warm");
  assert.notEqual(alone.atMs, earlier.atMs);
  const plan = planWarmups([{ ...rising, pendingPingsMs: [earlier.atMs] }], nowMs, options);
  assert.deepEqual(plan.pings.filter((p) => p.kind === "pre-warm"), []);
});
