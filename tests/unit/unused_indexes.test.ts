import assert from "node:assert/strict";
import { findUnusedIndexes } from "../../shared/db_health/unused_indexes.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { catalog, index, ordersPkey, takenAt } from "../support/health_fixtures.ts";

const unused = index("orders_status_idx", [["status", 3]], { scans: 0, sizeBytes: 3 * 1024 * 1024 });

Deno.test("findUnusedIndexes() proposes dropping an index unscanned for 30 days, the rollback its definition", () => {
  const { findings } = findUnusedIndexes(catalog({ indexes: [unused] }), { minUnusedDays: 7 });
  assert.equal(findings.length, 1);
  const [finding] = findings;
  FindingSchema.parse(finding);
  assert.equal(finding.rule, "index.unused");
  assert.equal(finding.subject, "index:public.orders_status_idx");
  assert.deepEqual(finding.action, {
    kind: "sql",
    sql: "drop index concurrently if exists public.orders_status_idx",
    rollback: unused.definition,
  });
  assert.deepEqual(finding.evidence.windows, [{
    from: "2026-10-29T12:00:00.000Z",
    to: takenAt.toISOString(),
  }]);
  assert.equal(finding.gain?.kind, "estimated");
  assert.equal(finding.gain?.value, 3);
  assert.equal(finding.autoApplicable, false);
});

Deno.test("findUnusedIndexes() leaves a used index alone without a word", () => {
  const outcome = findUnusedIndexes(catalog({ indexes: [index("orders_status_idx", [["status", 3]])] }), {
    minUnusedDays: 7,
  });
  assert.deepEqual(outcome, { findings: [], rejected: [] });
});

Deno.test("findUnusedIndexes() never reports a unique, primary key or constraint index, saying why", () => {
  const unique = index("orders_ref_key", [["ref", 4]], { scans: 0, unique: true });
  const exclusion = index("orders_period_excl", [["period", 5]], {
    scans: 0,
    method: "gist",
    constraintName: "orders_period_excl",
  });
  const { findings, rejected } = findUnusedIndexes(
    catalog({ indexes: [{ ...ordersPkey, scans: 0 }, unique, exclusion] }),
    { minUnusedDays: 7 },
  );
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => [r.subject, r.reason]), [
    [
      "index:public.orders_pkey",
      "idx_scan is 0, but it is the primary key: it enforces the key and is never reported unused",
    ],
    [
      "index:public.orders_ref_key",
      "idx_scan is 0, but it is unique: it enforces uniqueness and is never reported unused",
    ],
    [
      "index:public.orders_period_excl",
      "idx_scan is 0, but it backs constraint orders_period_excl: never reported unused",
    ],
  ]);
});

Deno.test("findUnusedIndexes() does not trust a zero from statistics younger than minUnusedDays", () => {
  const young = catalog({ indexes: [unused], statsSince: new Date(takenAt.getTime() - 2.5 * 86_400_000) });
  const { findings, rejected } = findUnusedIndexes(young, { minUnusedDays: 7 });
  assert.deepEqual(findings, []);
  assert.equal(rejected.length, 1);
  assert.equal(
    rejected[0].reason,
    "idx_scan is 0, but the statistics cover only 2.5 days (since 2026-11-26T00:00:00.000Z), below minUnusedDays 7",
  );
});

Deno.test("findUnusedIndexes() judges nothing when the statistics' age is unknown", () => {
  const { findings, rejected } = findUnusedIndexes(
    catalog({ indexes: [unused], statsSince: null, statsSinceSource: null }),
    { minUnusedDays: 7 },
  );
  assert.deepEqual(findings, []);
  assert.match(rejected[0].reason, /how long the statistics have counted is unknown/);
});

Deno.test("findUnusedIndexes() leaves invalid indexes to index.invalid", () => {
  const outcome = findUnusedIndexes(catalog({ indexes: [{ ...unused, valid: false }] }), {
    minUnusedDays: 7,
  });
  assert.deepEqual(outcome, { findings: [], rejected: [] });
});
