import assert from "node:assert/strict";
import { bloatModel, estimateTableBloat, findTableBloat } from "../../shared/db_health/table_bloat.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { table } from "../support/health_fixtures.ts";

const options = { minBloatBytes: 1024 * 1024, minBloatRatio: 0.3 };

Deno.test("estimateTableBloat() fits 185 rows of two bigints (44 bytes each) in an 8 KiB page", () => {
  // (8192 − 24) / (4 + 24 + 16) = 185.6 rows a page: 10 000 rows need 54 pages
  assert.deepEqual(estimateTableBloat(table({ heapPages: 1000 })), {
    expectedPages: 54,
    bloatPages: 946,
    bloatBytes: 946 * 8192,
    bloatRatio: 0.946,
  });
});

Deno.test("estimateTableBloat() leaves the fillfactor's free space out of the bloat", () => {
  const estimate = estimateTableBloat(table({ heapPages: 108, fillfactor: 50 }));
  assert.ok(!("reason" in estimate));
  assert.equal(estimate.expectedPages, 108);
  assert.equal(estimate.bloatPages, 0);
});

Deno.test("estimateTableBloat() has no estimate for a table never analyzed or with columns lacking statistics", () => {
  assert.deepEqual(estimateTableBloat(table({ rowEstimate: -1 })), {
    reason: "never vacuumed or analyzed: no row estimate (run analyze)",
  });
  assert.deepEqual(estimateTableBloat(table({ columnsWithStats: 1 })), {
    reason: "1 of 2 columns have no statistics in pg_stats (run analyze)",
  });
});

Deno.test("findTableBloat() reports a table mostly empty pages, the gain an estimate naming its model", () => {
  const { findings } = findTableBloat([table({ heapPages: 1000, deadRows: 90_000 })], options);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].rule, "table.bloat");
  assert.equal(findings[0].subject, "table:public.orders");
  assert.deepEqual(findings[0].gain, { kind: "estimated", value: 7.39, unit: "MB", model: bloatModel });
  assert.equal(findings[0].action.kind, "guidance");
  assert.equal(findings[0].autoApplicable, false);
});

Deno.test("findTableBloat() does not report a compact table", () => {
  assert.deepEqual(findTableBloat([table()], options), { findings: [], rejected: [] });
});

Deno.test("findTableBloat() does not report bloat below minBloatBytes, saying so", () => {
  const { findings, rejected } = findTableBloat([table({ heapPages: 100 })], options);
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "estimated bloat 0.36 MB, 46.0 %: below minBloatBytes 1048576",
  ]);
});

Deno.test("findTableBloat() does not report bloat below minBloatRatio, saying so", () => {
  const big = table({ rowEstimate: 1_000_000, heapPages: 5406 + 1000 });
  const { findings, rejected } = findTableBloat([big], options);
  assert.deepEqual(findings, []);
  assert.match(rejected[0].reason, /below minBloatRatio 0.3$/);
});
