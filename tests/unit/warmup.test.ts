import assert from "node:assert/strict";
import { isWarmupRequest, warmupResponse } from "../../shared/http/warmup.ts";

Deno.test("isWarmupRequest() recognises the x-warmup header and the warmup query parameter", () => {
  assert.equal(isWarmupRequest(new Request("http://x/fn", { headers: { "x-warmup": "1" } })), true);
  assert.equal(isWarmupRequest(new Request("http://x/fn?warmup=true")), true);
  assert.equal(isWarmupRequest(new Request("http://x/fn?warmup=0")), false);
  assert.equal(isWarmupRequest(new Request("http://x/fn", { headers: { "x-warmup": "no" } })), false);
  assert.equal(isWarmupRequest(new Request("http://x/fn")), false);
});

Deno.test("warmupResponse() answers 200 {warm, coldStart} and is never cached", async () => {
  const response = warmupResponse(true, { "x-request-id": "r1" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get("x-request-id"), "r1");
  assert.deepEqual(await response.json(), { warm: true, coldStart: true });
});
