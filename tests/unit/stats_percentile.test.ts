import assert from "node:assert/strict";
import { median, percentile, percentileOfSorted, percentiles } from "../../bench/stats/percentile.ts";

Deno.test("percentiles are nearest-rank: the value at rank ceil(p/100 * n), never interpolated", () => {
  const values = [15, 20, 35, 40, 50];
  assert.equal(percentile(values, 5), 15); // rank ceil(0.25) = 1
  assert.equal(percentile(values, 30), 20); // rank ceil(1.5) = 2
  assert.equal(percentile(values, 40), 20); // rank 2 exactly
  assert.equal(percentile(values, 50), 35); // rank ceil(2.5) = 3
  assert.equal(percentile(values, 100), 50);
  assert.equal(percentile(values, 0), 15);
});

Deno.test("p95 and p99 of 1..100 ms are the 95th and 99th values; unsorted input is sorted first", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  const ps = percentiles(values, [50, 95, 99]);
  assert.deepEqual([...ps.values()], [50, 95, 99]);
});

Deno.test("no samples have no percentile and no median", () => {
  assert.equal(percentile([], 50), null);
  assert.equal(percentileOfSorted([], 99), null);
  assert.equal(median([]), null);
});

Deno.test("a percentile outside 0..100 or a NaN sample is refused", () => {
  assert.throws(() => percentile([1], 101), /percentile must be in \[0, 100\]: got 101/);
  assert.throws(() => percentile([1, NaN], 50), /got NaN/);
});

Deno.test("the median of an even count is the mean of the two middle values", () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([3, 1, 2]), 2);
});
