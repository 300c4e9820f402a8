import assert from "node:assert/strict";
import { findInvalidIndexes } from "../../shared/db_health/invalid_indexes.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { index } from "../support/health_fixtures.ts";

Deno.test("findInvalidIndexes() proposes dropping an index a failed concurrent build left", () => {
  const failed = index("orders_ref_key", [["ref", 4]], { valid: false, unique: true, scans: 0 });
  const { findings } = findInvalidIndexes([failed, index("orders_ref_idx", [["ref", 4]])]);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].rule, "index.invalid");
  assert.equal(findings[0].subject, "index:public.orders_ref_key");
  assert.deepEqual(findings[0].evidence.statistic, { name: "indisvalid", value: false });
  assert.deepEqual(findings[0].action, {
    kind: "sql",
    sql: "drop index concurrently if exists public.orders_ref_key",
    rollback: failed.definition.replace("CREATE INDEX", "create index concurrently"),
  });
  assert.equal(findings[0].autoApplicable, true);
});

Deno.test("findInvalidIndexes() leaves alone an index still being built", () => {
  const building = index("orders_ref_idx", [["ref", 4]], { valid: false, buildInProgress: true });
  assert.deepEqual(findInvalidIndexes([building]), {
    findings: [],
    rejected: [{
      rule: "index.invalid",
      subject: "index:public.orders_ref_idx",
      reason: "invalid because a create index is building it right now",
    }],
  });
});
