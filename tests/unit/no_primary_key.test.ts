import assert from "node:assert/strict";
import { findTablesWithoutPrimaryKey } from "../../shared/db_health/no_primary_key.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { table } from "../support/health_fixtures.ts";

Deno.test("findTablesWithoutPrimaryKey() reports a table without a primary key", () => {
  const { findings } = findTablesWithoutPrimaryKey([table({ hasPrimaryKey: false })]);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].rule, "table.no-primary-key");
  assert.equal(findings[0].subject, "table:public.orders");
  assert.equal(findings[0].action.kind, "guidance");
});

Deno.test("findTablesWithoutPrimaryKey() passes tables with one and materialized views", () => {
  const outcome = findTablesWithoutPrimaryKey([table(), table({ hasPrimaryKey: false, materialized: true })]);
  assert.deepEqual(outcome, { findings: [], rejected: [] });
});
