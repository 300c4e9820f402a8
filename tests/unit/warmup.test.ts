import assert from "node:assert/strict";
import { isWarmupRequest, warmupPreparer, warmupResponse } from "../../shared/http/warmup.ts";

Deno.test("isWarmupRequest() recognises the x-warmup header and the warmup query parameter", () => {
  assert.equal(isWarmupRequest(new Request("http://x/fn", { headers: { "x-warmup": "1" } })), true);
  assert.equal(isWarmupRequest(new Request("http://x/fn?warmup=true")), true);
  assert.equal(isWarmupRequest(new Request("http://x/fn?warmup=0")), false);
  assert.equal(isWarmupRequest(new Request("http://x/fn", { headers: { "x-warmup": "no" } })), false);
  assert.equal(isWarmupRequest(new Request("http://x/fn")), false);
});

Deno.test("warmupResponse() answers 200 {warm, coldStart, workerAgeMs} and is never cached", async () => {
  const response = warmupResponse(true, { "x-request-id": "r1" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get("x-request-id"), "r1");
  const body = await response.json();
  assert.deepEqual({ ...body, workerAgeMs: typeof body.workerAgeMs }, {
    warm: true,
    coldStart: true,
    workerAgeMs: "number",
  });
});

Deno.test("warmupResponse() reports the worker's age, which grows as the isolate lives", async () => {
  const first = (await warmupResponse(false).json()).workerAgeMs;
  await new Promise((resolve) => setTimeout(resolve, 30));
  const second = (await warmupResponse(false).json()).workerAgeMs;
  assert.ok(first >= 0 && second >= first + 25, `ages ${first} then ${second}`);
});

Deno.test("warmupPreparer() runs prepare once per interval however many pings come", async () => {
  let now = 0;
  let runs = 0;
  const ping = warmupPreparer({ prepare: () => runs++, minIntervalMs: 10_000, clock: () => now });
  await ping();
  now = 9_999;
  await ping();
  assert.equal(runs, 1);
  now = 10_000;
  await ping();
  assert.equal(runs, 2);
});

Deno.test("warmupPreparer() lets a ping during a run wait for it, without a second run", async () => {
  let runs = 0;
  let finish = () => {};
  const ping = warmupPreparer({
    prepare: () => (runs++, new Promise<void>((resolve) => finish = resolve)),
    minIntervalMs: 0,
  });
  let answered = 0;
  const pings = [ping().then(() => answered++), ping().then(() => answered++)];
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual([runs, answered], [1, 0]);
  finish();
  await Promise.all(pings);
  assert.deepEqual([runs, answered], [1, 2]);
});

Deno.test("warmupPreparer() answers after waitMs while a slow prepare goes on in waitUntil", async () => {
  const kept: Promise<unknown>[] = [];
  let finish = () => {};
  const ping = warmupPreparer({
    prepare: () => new Promise<void>((resolve) => finish = resolve),
    waitMs: 30,
    waitUntil: (promise) => kept.push(promise),
  });
  const started = performance.now();
  await ping();
  assert.ok(performance.now() - started < 1000);
  assert.equal(kept.length, 1);
  finish();
  await kept[0];
});

Deno.test("warmupPreparer() reports a failed prepare and never rejects the ping", async () => {
  const errors: string[] = [];
  const ping = warmupPreparer({
    prepare: () => Promise.reject(new Error("database down")),
    onError: (error) => errors.push((error as Error).message),
  });
  await ping();
  assert.deepEqual(errors, ["database down"]);
});

Deno.test("warmupPreparer() rejects a negative interval or wait, saying which", () => {
  assert.throws(
    () => warmupPreparer({ prepare: () => {}, minIntervalMs: -1 }),
    /minIntervalMs must be >= 0: got -1/,
  );
  assert.throws(() => warmupPreparer({ prepare: () => {}, waitMs: -5 }), /waitMs must be >= 0: got -5/);
});
