import assert from "node:assert/strict";
import { measureDefaults, resolveMeasureOptions } from "../../shared/measure/measure_options.ts";
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

Deno.test("resolveMeasureOptions() lays options over the defaults and checks the shared options before the named ones", () => {
  const defaults = { ...measureDefaults, rows: 10 };
  assert.deepEqual(resolveMeasureOptions(defaults, { rows: 3 }, { rows: 1 }), {
    ...measureDefaults,
    rows: 3,
  });
  assert.throws(
    () => resolveMeasureOptions(defaults, { rows: 0 }, { rows: 1 }),
    /rows must be a whole number >= 1: got 0/,
  );
  assert.throws(
    () => resolveMeasureOptions(defaults, { runs: 0, rows: 0 }, { rows: 1 }),
    /runs must be a whole number >= 1: got 0/,
  );
});
