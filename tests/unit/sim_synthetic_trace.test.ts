import assert from "node:assert/strict";
import { diurnalShape, syntheticTrace } from "../../bench/sim/synthetic_trace.ts";

Deno.test("the synthetic trace is the same for the same seed and differs for another", () => {
  const a = [...syntheticTrace({ days: 1, requestsPerDay: 2_000, seed: 7 })];
  const b = [...syntheticTrace({ days: 1, requestsPerDay: 2_000, seed: 7 })];
  const c = [...syntheticTrace({ days: 1, requestsPerDay: 2_000, seed: 8 })];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("the synthetic trace is sorted, near its requested volume, quiet at night, with writes and no write keys", () => {
  const requests = [...syntheticTrace({ days: 2, requestsPerDay: 10_000, seed: 1 })];
  assert.ok(requests.every((r, i) => i === 0 || requests[i - 1].atMs <= r.atMs));
  assert.ok(Math.abs(requests.length - 20_000) < 1_000, `${requests.length} requests`);
  const night = requests.filter((r) => r.atMs % 86_400_000 < 4 * 3_600_000).length;
  assert.ok(night < requests.length * 0.02, `${night} requests between 0 and 4 h`);
  const writes = requests.filter((r) => r.endpoint === "robots.update" || r.endpoint === "chat.append");
  assert.ok(writes.length > 0 && writes.every((r) => r.key === ""));
  assert.ok(diurnalShape(3 * 60) < diurnalShape(15 * 60));
});
