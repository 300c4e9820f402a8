import assert from "node:assert/strict";
import { FunctionWorkers } from "../../bench/sim/worker.ts";
import {
  defaultWorkerOptions,
  hostedMaxLifetimeMs,
  resolveWorkerOptions,
} from "../../shared/warm/worker_model.ts";

const options = { idleTimeoutMs: 60_000, maxLifetimeMs: 150_000 };
const coldStartMs = 100;

Deno.test("a worker is retired idleTimeoutMs after its last request", () => {
  const workers = new FunctionWorkers(options, coldStartMs);
  assert.deepEqual(workers.request(0), { cold: true, waitMs: 100 });
  assert.deepEqual(workers.request(59_999), { cold: false, waitMs: 0 });
  assert.equal(workers.request(59_999 + 60_000).cold, true);
  assert.deepEqual(workers.retirements(), { idle: 1, lifetime: 0 });
});

Deno.test("a busy worker is retired maxLifetimeMs after its boot, and the next request is cold", () => {
  const workers = new FunctionWorkers(options, coldStartMs);
  const cold = [0, 30_000, 60_000, 90_000, 120_000, 149_999, 150_000, 180_000].map((t) =>
    workers.request(t).cold
  );
  assert.deepEqual(cold, [true, false, false, false, false, false, true, false]);
  assert.deepEqual(workers.retirements(), { idle: 0, lifetime: 1 });
});

Deno.test("a ping boots a worker when none is live, resets the idle timer, and cannot extend the lifetime", () => {
  const workers = new FunctionWorkers(options, coldStartMs);
  assert.deepEqual(workers.ping(0), { booted: true });
  assert.deepEqual(workers.ping(50_000), { booted: false });
  assert.equal(workers.request(100_000).cold, false, "the ping at 50 s kept it live past 60 s");
  assert.deepEqual(workers.view(100_000), { liveUntilMs: 150_000, retiresBy: "lifetime", bootedAtMs: 0 });
  assert.equal(workers.ping(150_000).booted, true, "at 150 s the lifetime is over whatever the pings");
});

Deno.test("a request arriving during a boot waits for the rest of it and is not a cold start", () => {
  const workers = new FunctionWorkers(options, coldStartMs);
  workers.ping(1_000);
  assert.deepEqual(workers.request(1_040), { cold: false, waitMs: 60 });
  assert.deepEqual(workers.request(1_100), { cold: false, waitMs: 0 });
});

Deno.test("view() reports no live worker before any boot and after retirement", () => {
  const workers = new FunctionWorkers(options, coldStartMs);
  assert.deepEqual(workers.view(0), { liveUntilMs: null, retiresBy: null, bootedAtMs: null });
  workers.request(0);
  assert.deepEqual(workers.view(10), { liveUntilMs: 60_000, retiresBy: "idle", bootedAtMs: 0 });
  assert.equal(workers.view(60_000).liveUntilMs, null);
});

Deno.test("events out of time order are refused", () => {
  const workers = new FunctionWorkers(options, coldStartMs);
  workers.request(10);
  assert.throws(() => workers.request(5), /time order/);
});

Deno.test("worker options default to the gateway's idle timeout and the hosted Free lifetime, and are validated", () => {
  assert.deepEqual(defaultWorkerOptions, { idleTimeoutMs: 60_000, maxLifetimeMs: hostedMaxLifetimeMs.free });
  assert.deepEqual(resolveWorkerOptions({ maxLifetimeMs: hostedMaxLifetimeMs.paid }), {
    idleTimeoutMs: 60_000,
    maxLifetimeMs: 400_000,
  });
  assert.throws(
    () => resolveWorkerOptions({ idleTimeoutMs: 0 }),
    /worker.idleTimeoutMs must be .* > 0: got 0/,
  );
});
