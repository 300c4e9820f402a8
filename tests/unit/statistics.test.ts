import assert from "node:assert/strict";
import {
  median,
  rateChange,
  rateDifferenceVariance,
  spearman,
  wilsonInterval,
} from "../../shared/correlate/statistics.ts";

const close = (actual: number, expected: number, tolerance = 1e-3) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

Deno.test("spearman() gives rho on midranks and the Fisher-transform p-value", () => {
  const c = spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])!;
  close(c.rho, 0.8, 1e-12);
  // z = atanh(0.8) * sqrt(2 / 1.06) = 1.509: two-sided p = 0.131
  close(c.pValue, 0.131);
  assert.equal(c.n, 5);
});

Deno.test("spearman() is undefined for a constant side and below 4 pairs", () => {
  assert.equal(spearman([1, 1, 1, 1], [1, 2, 3, 4]), null);
  assert.equal(spearman([1, 2, 3], [1, 2, 3]), null);
  assert.throws(() => spearman([1, 2], [1]), /paired samples: got 2 and 1 values/);
});

Deno.test("spearman() of an exact monotonic relation has p near 0", () => {
  const x = Array.from({ length: 30 }, (_, i) => i);
  const c = spearman(x, x.map((v) => v * v))!;
  close(c.rho, 1, 1e-12);
  assert.ok(c.pValue < 1e-6);
});

Deno.test("wilsonInterval() matches the Wilson score interval at 95 %", () => {
  const w = wilsonInterval(8, 10)!;
  // Wilson 95 % for 8/10: 0.490 to 0.943
  close(w.low, 0.490);
  close(w.high, 0.943);
  assert.equal(wilsonInterval(0, 0), null);
  assert.throws(() => wilsonInterval(11, 10), /successes must be between 0 and trials \(10\): got 11/);
});

Deno.test("rateChange() gives the pooled two-proportion z-test", () => {
  const c = rateChange(90, 100, 80, 100)!;
  // pooled 0.85, se = sqrt(0.85 * 0.15 * 0.02) = 0.0505: z = -1.98, p = 0.048
  close(c.z, -1.980);
  close(c.pValue, 0.0477);
  assert.deepEqual(rateChange(1, 1, 1, 1), { before: 1, after: 1, z: 0, pValue: 1 });
});

Deno.test("rateDifferenceVariance() adds each rate's binomial variance, unpooled", () => {
  // 0.2 of 100 and 0.5 of 50: 0.16 / 100 + 0.25 / 50
  close(rateDifferenceVariance(0.2, 100, 0.5, 50), 0.0066, 1e-12);
  assert.equal(rateDifferenceVariance(0, 10, 1, 10), 0, "rates at 0 and 1 have no variance");
});

Deno.test("median() takes the middle value, or the mean of the two middle ones", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});
