import assert from "node:assert/strict";
import { createQueryShapeAnalyzer } from "../../shared/query_shape/query_shape_analyzer.ts";
import { createRlsAnalyzer } from "../../shared/rls/rls_analyzer.ts";

Deno.test("createRlsAnalyzer() refuses a bad option, naming it and what it must be", () => {
  assert.throws(() => createRlsAnalyzer({ runs: 0 }), /runs must be a whole number >= 1: got 0/);
  assert.throws(() => createRlsAnalyzer({ minGainRatio: 1 }), /minGainRatio must be in \[0, 1\): got 1/);
  assert.throws(() => createRlsAnalyzer({ listRows: 2.5 }), /listRows must be a whole number >= 1: got 2.5/);
});

Deno.test("createQueryShapeAnalyzer() refuses a bad option, naming it and what it must be", () => {
  assert.throws(
    () => createQueryShapeAnalyzer({ page: { limit: 0, offset: 0 } }),
    /page.limit must be a whole number >= 1: got 0/,
  );
  assert.throws(() => createQueryShapeAnalyzer({ minGainMs: -1 }), /minGainMs must be >= 0: got -1/);
  assert.throws(
    () => createQueryShapeAnalyzer({ minColumnBytes: 0 }),
    /minColumnBytes must be a whole number >= 1/,
  );
});

Deno.test("the analyzers are named for runs and notes", () => {
  assert.equal(createRlsAnalyzer().name, "rls");
  assert.equal(createQueryShapeAnalyzer().name, "query-shape");
});
