import assert from "node:assert/strict";
import { executionTimeMs } from "../../shared/measure/explain_runs.ts";

Deno.test("executionTimeMs() reads EXPLAIN (ANALYZE, FORMAT JSON) and refuses anything else", () => {
  assert.equal(executionTimeMs([{ Plan: {}, "Planning Time": 0.1, "Execution Time": 1.25 }]), 1.25);
  assert.throws(() => executionTimeMs([{ Plan: {} }]), /not the output of EXPLAIN/);
});
