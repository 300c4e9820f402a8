import assert from "node:assert/strict";
import { executionTimeMs, median } from "../../shared/measure/explain_runs.ts";

Deno.test("median() takes the middle value, or the mean of the two middle ones", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});

Deno.test("executionTimeMs() reads EXPLAIN (ANALYZE, FORMAT JSON) and refuses anything else", () => {
  assert.equal(executionTimeMs([{ Plan: {}, "Planning Time": 0.1, "Execution Time": 1.25 }]), 1.25);
  assert.throws(() => executionTimeMs([{ Plan: {} }]), /not the output of EXPLAIN/);
});
