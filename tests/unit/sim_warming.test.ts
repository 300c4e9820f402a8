import assert from "node:assert/strict";
import { createRng } from "../../bench/trace/prng.ts";
import { simulateFunctionWarming } from "../../bench/sim/warming.ts";
import { noWarming, oracle } from "../../bench/sim/warming_policies.ts";
import { fixedInterval } from "../../shared/warm/fixed_interval.ts";
import { histogramDefaults, histogramPolicy, IdleTimeHistogram } from "../../shared/warm/histogram_policy.ts";
import type { WarmingPolicy } from "../../shared/warm/policy.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";

const workerOptions = { idleTimeoutMs: MINUTE_MS, maxLifetimeMs: 2.5 * MINUTE_MS };
const coldStartMs = 100;

function run(requestTimes: number[], policy: WarmingPolicy, endMs = requestTimes.at(-1) ?? 0) {
  return simulateFunctionWarming({ fn: "robots", requestTimes, endMs, coldStartMs, workerOptions }, policy);
}

/** Exponential gaps whose mean changes now and then: bursts, steady traffic and long quiet spells. */
function randomTimes(seed: number, count: number): number[] {
  const random = createRng(seed);
  const times: number[] = [];
  let t = 0;
  let meanGap = 10_000;
  for (let i = 0; i < count; i++) {
    if (random() < 0.05) {
      meanGap = [500, 5_000, 40_000, 3 * MINUTE_MS, 20 * MINUTE_MS][Math.floor(random() * 5)];
    }
    t += Math.floor(-Math.log(1 - random()) * meanGap);
    times.push(t);
  }
  return times;
}

Deno.test("none: cold starts match a hand count under idle and lifetime retirement", () => {
  // 0 boots; 30 s warm; 100 s: idle since 30 s > 60 s, cold; 200 s cold; 205 s warm; 400 s cold.
  const counts = run([0, 30_000, 100_000, 200_000, 205_000, 400_000], noWarming());
  assert.deepEqual(counts, {
    requests: 6,
    coldStarts: 4,
    bootWaits: 0,
    pings: 0,
    pingBoots: 0,
    addedLatencyMs: 4 * coldStartMs,
  });
});

Deno.test("fixed(1 min) avoids every cold start of requests that come within a minute of a ping", () => {
  const times = Array.from({ length: 192 }, (_, i) => i * 7.5 * MINUTE_MS + 30_000);
  assert.equal(run(times, noWarming()).coldStarts, times.length);
  const fixed = run(times, fixedInterval(MINUTE_MS));
  assert.equal(fixed.coldStarts, 0);
  assert.equal(
    fixed.pings,
    Math.floor(times.at(-1)! / MINUTE_MS) + 1,
    "a ping at every minute from 0 to the end",
  );
});

Deno.test("fixed(5 min) pings at multiples of five minutes whatever the traffic", () => {
  const counts = run([61_000, 62_000], fixedInterval(5 * MINUTE_MS), 20 * MINUTE_MS);
  assert.equal(counts.pings, 5, "0, 5, 10, 15 and 20 min");
});

Deno.test("the oracle has no cold starts, and no policy has fewer, on seeded random traces", () => {
  for (let seed = 1; seed <= 25; seed++) {
    const times = randomTimes(seed, 600);
    const best = run(times, oracle());
    assert.equal(best.coldStarts, 0, `seed ${seed}`);
    for (
      const policy of [noWarming(), fixedInterval(5 * MINUTE_MS), fixedInterval(MINUTE_MS), histogramPolicy()]
    ) {
      assert.ok(run(times, policy).coldStarts >= best.coldStarts, `${policy.name}, seed ${seed}`);
    }
    assert.ok(best.pings <= run(times, noWarming()).coldStarts * 1.05 + 2, `oracle pings, seed ${seed}`);
  }
});

Deno.test("the oracle boots coldStartMs before a request, so the request neither starts cold nor waits", () => {
  const counts = run([MINUTE_MS, 10 * MINUTE_MS], oracle());
  assert.deepEqual(counts, {
    requests: 2,
    coldStarts: 0,
    bootWaits: 0,
    pings: 2,
    pingBoots: 2,
    addedLatencyMs: 0,
  });
});

Deno.test("the histogram policy learns a 10-minute period, pre-warms before each request, and beats fixed(5 min)", () => {
  const times = Array.from({ length: 288 }, (_, i) => 7 * MINUTE_MS + i * 10 * MINUTE_MS);
  const none = run(times, noWarming());
  const histogram = run(times, histogramPolicy());
  const fixed5 = run(times, fixedInterval(5 * MINUTE_MS));
  assert.equal(none.coldStarts, times.length);
  assert.ok(histogram.coldStarts <= histogramDefaults.minSamples + 1, `cold starts ${histogram.coldStarts}`);
  const histogramPerAvoided = histogram.pings / (none.coldStarts - histogram.coldStarts);
  assert.ok(histogramPerAvoided <= 2.5, `pings per avoided cold start ${histogramPerAvoided}`);
  const fixedAvoided = none.coldStarts - fixed5.coldStarts;
  assert.ok(fixedAvoided === 0 || fixed5.pings / fixedAvoided > histogramPerAvoided);
});

Deno.test("an idle-time histogram with one clear peak is representative, a flat one falls back", () => {
  const peaked = new IdleTimeHistogram(histogramDefaults);
  for (let i = 0; i < 20; i++) peaked.add(10 * MINUTE_MS + 1_000);
  assert.deepEqual(peaked.windows(), {
    representative: true,
    prewarmMs: 10 * MINUTE_MS * 0.9,
    keepAliveMs: 11 * MINUTE_MS * 1.1 - 10 * MINUTE_MS * 0.9,
  });
  const flat = new IdleTimeHistogram(histogramDefaults);
  for (let bin = 0; bin < 240; bin++) flat.add(bin * MINUTE_MS);
  assert.deepEqual(flat.windows(), {
    representative: false,
    prewarmMs: 0,
    keepAliveMs: histogramDefaults.fallbackKeepAliveMs,
  });
  const few = new IdleTimeHistogram(histogramDefaults);
  few.add(MINUTE_MS);
  assert.equal(few.windows().representative, false);
});

Deno.test("the histogram policy stays within its daily ping budget", () => {
  const times = Array.from({ length: 40 }, (_, i) => i * 37 * MINUTE_MS);
  const counts = run(times, histogramPolicy({ maxPingsPerDay: 10 }), DAY_MS - 1);
  assert.ok(counts.pings <= 10, `pings ${counts.pings}`);
});

Deno.test("a policy asking for a ping in the past fails with a message naming it", () => {
  const broken: WarmingPolicy = {
    name: "broken",
    description: "",
    forFunction: () => ({ nowMs }) => nowMs - 1,
  };
  assert.throws(() => run([0, 1_000], broken), /warming policy "broken" asked for a ping at -1/);
});

Deno.test("histogramPolicy() rejects options it cannot use", () => {
  assert.throws(() => histogramPolicy({ margin: 1 }), /margin must be < 1: got 1/);
  assert.throws(
    () => histogramPolicy({ headPercentile: 99, tailPercentile: 5 }),
    /headPercentile <= tailPercentile/,
  );
  assert.throws(() => fixedInterval(0), /intervalMs must be a finite number > 0: got 0/);
});
