import assert from "node:assert/strict";
import { bootstrapMedianInterval, formatRatio, pairedRatio, safeRatio } from "../../bench/stats/paired.ts";

Deno.test("ratios pair runs by repeat index, not by position in the arrays", () => {
  const a = [{ repeat: 0, value: 100 }, { repeat: 1, value: 200 }, { repeat: 2, value: 50 }];
  const b = [{ repeat: 2, value: 33 }, { repeat: 0, value: 62 }, { repeat: 1, value: 116 }];
  const ratio = pairedRatio(a, b);
  assert.deepEqual(ratio.pairs.map((p) => [p.repeat, p.ratio]), [[0, 0.62], [1, 0.58], [2, 0.66]]);
  assert.equal(ratio.median, 0.62);
  assert.equal(ratio.min, 0.58);
  assert.equal(ratio.max, 0.66);
  assert.equal(formatRatio(ratio), "0.62 (0.58–0.66 over 3 pairs)");
});

Deno.test("a zero or missing baseline gives a null ratio for that pair, never Infinity", () => {
  assert.equal(safeRatio(5, 0), null);
  assert.equal(safeRatio(null, 2), null);
  assert.equal(safeRatio(1, 4), 0.25);
  const ratio = pairedRatio([{ repeat: 0, value: 0 }, { repeat: 1, value: 10 }], [
    { repeat: 0, value: 3 },
    { repeat: 1, value: 5 },
  ]);
  assert.equal(ratio.pairs[0].ratio, null);
  assert.equal(ratio.n, 1);
  assert.equal(formatRatio(ratio), "0.50 (over 1 pair)");
  const none = pairedRatio([{ repeat: 0, value: 0 }], [{ repeat: 0, value: 1 }]);
  assert.equal(none.median, null);
  assert.equal(formatRatio(none), "n/a (no pair with a non-zero baseline)");
});

Deno.test("repeats run on one side only are reported as unpaired, and a repeat index may not occur twice", () => {
  const ratio = pairedRatio([{ repeat: 0, value: 1 }, { repeat: 3, value: 1 }], [{ repeat: 0, value: 2 }]);
  assert.deepEqual(ratio.unpaired, [3]);
  assert.equal(ratio.n, 1);
  assert.throws(
    () => pairedRatio([{ repeat: 1, value: 1 }, { repeat: 1, value: 2 }], []),
    /A has two runs with repeat index 1/,
  );
});

Deno.test("the bootstrap interval of the median is seeded and lies within the observed ratios", () => {
  const ratios = [0.55, 0.6, 0.61, 0.62, 0.64, 0.7];
  const interval = bootstrapMedianInterval(ratios, { seed: 3 });
  assert.deepEqual(interval, bootstrapMedianInterval(ratios, { seed: 3 }));
  assert.ok(interval![0] >= 0.55 && interval![1] <= 0.7 && interval![0] <= interval![1]);
  assert.equal(pairedRatio([{ repeat: 0, value: 1 }], [{ repeat: 0, value: 1 }]).interval, null);
});
