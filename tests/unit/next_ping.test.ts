import assert from "node:assert/strict";
import { minBenefitByPriority, nextPing, type PingPlanOptions } from "../../shared/warm/next_ping.ts";
import type { WorkerView } from "../../shared/warm/worker_model.ts";
import { MINUTE_MS } from "../../shared/time.ts";

const options: PingPlanOptions = {
  coldStartMs: 100,
  bootLeadMs: 100,
  workerOptions: { idleTimeoutMs: MINUTE_MS, maxLifetimeMs: 150_000 },
  minBenefit: minBenefitByPriority.performance.refresh,
  minSuccessorBenefit: minBenefitByPriority.performance.successor,
  refreshLeadMs: 1_000,
  searchHorizonMs: 60 * MINUTE_MS,
  searchStepMs: 10_000,
};

/** A constant rate, in requests per minute. */
const steady = (perMinute: number) => ({
  expected: (from: number, to: number) => perMinute * (to - from) / MINUTE_MS,
});
/** No requests before `startMs`, then `perMinute`. */
const startingAt = (startMs: number, perMinute: number) => ({
  expected: (from: number, to: number) => perMinute * Math.max(0, to - Math.max(from, startMs)) / MINUTE_MS,
});

const idleWorker = (liveUntilMs: number): WorkerView => ({ liveUntilMs, retiresBy: "idle", bootedAtMs: 0 });
const noWorker: WorkerView = { liveUntilMs: null, retiresBy: null, bootedAtMs: null };

Deno.test("nextPing() boots a successor at the instant a busy worker's lifetime ends", () => {
  const worker: WorkerView = { liveUntilMs: 150_000, retiresBy: "lifetime", bootedAtMs: 0 };
  const { ping } = nextPing(worker, 140_000, steady(20), options);
  assert.equal(ping?.kind, "successor");
  assert.equal(ping?.atMs, 150_000);
  assert.ok(ping!.expectedColdStartsAvoided > 0.99);
  assert.match(ping!.reason, /lifetime ends; boot its successor: .*100 %.*saving 100 ms/);
});

Deno.test("nextPing() refreshes a busy function's worker too, saying how likely a request drops the ping", () => {
  const { ping } = nextPing(idleWorker(70_000), 10_000, steady(20), options);
  assert.equal(ping?.kind, "refresh");
  assert.ok(ping!.trafficFirstChance > 0.99);
  assert.match(ping!.reason, /; dropped if a request comes first \(a chance of 100 %\)$/);
});

Deno.test("nextPing() refreshes a worker just before its idle deadline when a request is likely soon after", () => {
  // One request every two minutes: traffic alone lets the worker expire, a ping before the deadline keeps it.
  const { ping } = nextPing(idleWorker(70_000), 10_000, steady(0.5), options);
  assert.equal(ping?.kind, "refresh");
  assert.equal(ping?.atMs, 69_000);
  assert.ok(Math.abs(ping!.expectedColdStartsAvoided - (1 - Math.exp(-0.5 * 59 / 60))) < 1e-9);
  assert.ok(Math.abs(ping!.expectedSavedMs! - 100 * ping!.expectedColdStartsAvoided) < 1e-9);
  assert.ok(Math.abs(ping!.trafficFirstChance - (1 - Math.exp(-0.5 * 59 / 60))) < 1e-9);
});

Deno.test("nextPing() gives a successor no chance of being dropped: traffic cannot keep a worker past its lifetime", () => {
  const worker: WorkerView = { liveUntilMs: 150_000, retiresBy: "lifetime", bootedAtMs: 0 };
  assert.equal(nextPing(worker, 140_000, steady(20), options).ping?.trafficFirstChance, 0);
});

Deno.test("nextPing() pre-warms a boot time before demand that follows a quiet spell", () => {
  const { ping } = nextPing(noWorker, 0, startingAt(30 * MINUTE_MS, 10), options);
  assert.equal(ping?.kind, "pre-warm");
  assert.ok(ping!.atMs <= 30 * MINUTE_MS - options.bootLeadMs, `pinged at ${ping!.atMs}`);
  assert.ok(ping!.atMs >= 29 * MINUTE_MS, `pinged at ${ping!.atMs}, long before the demand`);
});

Deno.test("nextPing() records why it sends nothing to a function with no demand in sight", () => {
  const result = nextPing(noWorker, 0, steady(0), options);
  assert.equal(result.ping, null);
  assert.equal(
    result.reason,
    "no ping reaches 30 %: the likeliest avoids a cold start with a chance of 0 % within 60 min",
  );
});

Deno.test("nextPing() under the cost priority skips a refresh the performance priority sends", () => {
  const cost = { ...options, minBenefit: minBenefitByPriority.cost.refresh };
  const rate = steady(0.6);
  const worker = idleWorker(70_000);
  assert.equal(
    nextPing(worker, 68_000, rate, options).ping?.kind,
    "refresh",
  );
  assert.notEqual(
    nextPing(worker, 68_000, rate, cost).ping?.kind,
    "refresh",
  );
});
