import assert from "node:assert/strict";
import { findDuplicateIndexes } from "../../shared/db_health/duplicate_indexes.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { index, ordersPkey } from "../support/health_fixtures.ts";

Deno.test("findDuplicateIndexes() keeps the unique index and drops the plain one that repeats it", () => {
  const unique = index("orders_ref_key", [["ref", 4]], { unique: true });
  const plain = index("orders_ref_idx", [["ref", 4]]);
  const { findings, rejected } = findDuplicateIndexes([plain, unique]);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].rule, "index.duplicate");
  assert.equal(findings[0].subject, "index:public.orders_ref_idx");
  assert.deepEqual(findings[0].action, {
    kind: "sql",
    sql: "drop index concurrently if exists public.orders_ref_idx",
    rollback: plain.definition.replace("CREATE INDEX", "create index concurrently"),
  });
  assert.equal(findings[0].autoApplicable, true);
  assert.deepEqual(rejected, [{
    rule: "index.duplicate",
    subject: "index:public.orders_ref_key",
    reason: "kept among 2 identical indexes: unique",
  }]);
});

Deno.test("findDuplicateIndexes() of two plain copies keeps the first by name", () => {
  const { findings } = findDuplicateIndexes([index("b_idx", [["ref", 4]]), index("a_idx", [["ref", 4]])]);
  assert.deepEqual(findings.map((f) => f.subject), ["index:public.b_idx"]);
});

Deno.test("findDuplicateIndexes() turns a copy backing a constraint into guidance, not a drop", () => {
  const uniqueConstraint = index("orders_id_key", [["id", 1]], {
    unique: true,
    constraintName: "orders_id_key",
  });
  const { findings } = findDuplicateIndexes([ordersPkey, uniqueConstraint]);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].subject, "index:public.orders_id_key");
  assert.equal(findings[0].action.kind, "guidance");
  assert.equal(findings[0].autoApplicable, false);
});

Deno.test("findDuplicateIndexes() does not call indexes that differ in predicate, sort order or opclass duplicates", () => {
  const base = index("orders_ref_idx", [["ref", 4]]);
  const outcome = findDuplicateIndexes([
    base,
    index("orders_ref_partial", [["ref", 4]], { predicate: "(ref IS NOT NULL)" }),
    index("orders_ref_desc", [["ref", 4]], { options: [3] }),
    index("orders_ref_pattern", [["ref", 4]], { opclasses: ["10044"] }),
    index("orders_ref_hash", [["ref", 4]], { method: "hash" }),
    index("orders_ref_other_table", [["ref", 4]], { tableOid: 1 }),
  ]);
  assert.deepEqual(outcome, { findings: [], rejected: [] });
});

Deno.test("findDuplicateIndexes() leaves invalid indexes to index.invalid", () => {
  const outcome = findDuplicateIndexes([
    index("a_idx", [["ref", 4]]),
    index("b_idx", [["ref", 4]], { valid: false }),
  ]);
  assert.deepEqual(outcome.findings, []);
});

Deno.test("findDuplicateIndexes() of two plain copies keeps the one the planner scans", () => {
  const { findings, rejected } = findDuplicateIndexes([
    index("a_idx", [["ref", 4]], { scans: 0 }),
    index("b_idx", [["ref", 4]], { scans: 500 }),
  ]);
  assert.deepEqual(findings.map((f) => f.subject), ["index:public.a_idx"]);
  assert.equal(rejected[0].reason, "kept among 2 identical indexes: scanned most");
});
