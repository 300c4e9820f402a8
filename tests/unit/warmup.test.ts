import assert from "node:assert/strict";
import { isWarmupRequest, warmupResponse } from "../../shared/http/warmup.ts";

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
