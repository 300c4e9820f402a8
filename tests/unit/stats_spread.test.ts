import assert from "node:assert/strict";
import { RunningSpread, spreadOf } from "../../bench/stats/spread.ts";

Deno.test("mean and sample standard deviation match the textbook values", () => {
  const spread = spreadOf([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(spread.n, 8);
  assert.equal(spread.mean, 5);
  assert.ok(Math.abs(spread.stdev! - Math.sqrt(32 / 7)) < 1e-12);
  assert.equal(spread.min, 2);
  assert.equal(spread.max, 9);
});

Deno.test("Welford stays exact where a naive sum of squares cancels (large offset)", () => {
  const running = new RunningSpread();
  for (const v of [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]) running.add(v);
  assert.ok(Math.abs(running.spread.stdev! - Math.sqrt(30)) < 1e-6);
});

Deno.test("one value has a mean but no standard deviation; none has neither", () => {
  assert.deepEqual(spreadOf([3]), { n: 1, mean: 3, stdev: null, min: 3, max: 3 });
  assert.deepEqual(spreadOf([]), { n: 0, mean: null, stdev: null, min: null, max: null });
  assert.throws(() => spreadOf([Infinity]), /finite numbers: got Infinity/);
});
