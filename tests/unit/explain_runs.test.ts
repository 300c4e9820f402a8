import assert from "node:assert/strict";
import { executionTimeMs, formatMs } from "../../shared/measure/explain_runs.ts";

Deno.test("executionTimeMs() reads EXPLAIN (ANALYZE, FORMAT JSON) and refuses anything else", () => {
  assert.equal(executionTimeMs([{ Plan: {}, "Planning Time": 0.1, "Execution Time": 1.25 }]), 1.25);
  assert.throws(() => executionTimeMs([{ Plan: {} }]), /not the output of EXPLAIN/);
});

Deno.test("formatMs() states a time with two decimals", () => {
  assert.equal(formatMs(12.345), "12.35 ms");
  assert.equal(formatMs(0.1), "0.10 ms");
});
