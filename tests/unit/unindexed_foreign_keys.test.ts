import assert from "node:assert/strict";
import { findUnindexedForeignKeys } from "../../shared/db_health/unindexed_foreign_keys.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { foreignKey, index, ordersPkey } from "../support/health_fixtures.ts";

const options = { foreignKeyWarningRows: 10_000 };
const customerKey = foreignKey("orders_customer_id_fkey", [["customer_id", 2]]);

Deno.test("findUnindexedForeignKeys() proposes an index for a key no index leads with", () => {
  const { findings } = findUnindexedForeignKeys([customerKey], [ordersPkey], options);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].rule, "index.unindexed-foreign-key");
  assert.equal(findings[0].subject, "foreign-key:public.orders.orders_customer_id_fkey");
  assert.equal(findings[0].severity, "warning", "50 000 rows is above foreignKeyWarningRows");
  assert.deepEqual(findings[0].action, {
    kind: "sql",
    sql: "create index concurrently orders_customer_id_idx on public.orders using btree (customer_id)",
    rollback: "drop index concurrently if exists public.orders_customer_id_idx",
  });
  assert.equal(findings[0].gain, null);
});

Deno.test("findUnindexedForeignKeys() counts a key covered by an index leading with its columns", () => {
  const leading = index("orders_customer_created_idx", [["customer_id", 2], ["created_at", 3]]);
  assert.deepEqual(findUnindexedForeignKeys([customerKey], [ordersPkey, leading], options), {
    findings: [],
    rejected: [],
  });
});

Deno.test("findUnindexedForeignKeys() counts a two-column key covered by its columns in another order", () => {
  const pair = foreignKey("orders_customer_fkey", [["tenant_id", 6], ["customer_id", 2]]);
  const swapped = index("orders_customer_tenant_idx", [["customer_id", 2], ["tenant_id", 6], [
    "created_at",
    3,
  ]]);
  assert.deepEqual(findUnindexedForeignKeys([pair], [swapped], options).findings, []);
});

Deno.test("findUnindexedForeignKeys() does not count the key's columns behind another leading column", () => {
  const behind = index("orders_created_customer_idx", [["created_at", 3], ["customer_id", 2]]);
  const { findings, rejected } = findUnindexedForeignKeys([customerKey], [behind], options);
  assert.equal(findings.length, 1);
  assert.deepEqual(rejected, []);
});

Deno.test("findUnindexedForeignKeys() does not count a partial index as covering, saying so", () => {
  const partial = index("orders_customer_live_idx", [["customer_id", 2]], {
    predicate: "(deleted_at IS NULL)",
  });
  const { findings, rejected } = findUnindexedForeignKeys([customerKey], [partial], options);
  assert.equal(findings.length, 1);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "orders_customer_live_idx leads with the key's columns but is partial (where (deleted_at IS NULL)): it misses the rows outside its predicate",
  ]);
});

Deno.test("findUnindexedForeignKeys() does not count an invalid index as covering, saying so", () => {
  const invalid = index("orders_customer_id_idx", [["customer_id", 2]], { valid: false });
  const { findings, rejected } = findUnindexedForeignKeys([customerKey], [invalid], options);
  assert.equal(findings.length, 1);
  assert.match(rejected[0].reason, /is invalid/);
  assert.match(findings[0].action.kind === "sql" ? findings[0].action.sql : "", /orders_customer_id_idx1 on/);
});

Deno.test("findUnindexedForeignKeys() makes a small table's missing index info", () => {
  const small = foreignKey("orders_customer_id_fkey", [["customer_id", 2]], { tableRows: 40 });
  assert.equal(findUnindexedForeignKeys([small], [], options).findings[0].severity, "info");
});

Deno.test("findUnindexedForeignKeys() names the new index within 63 bytes, unquoted", () => {
  const long = foreignKey("long_fkey", [["c".repeat(70), 2]], { table: "Orders Archive" });
  const action = findUnindexedForeignKeys([long], [], options).findings[0].action;
  assert.equal(action.kind, "sql");
  const name = action.kind === "sql" ? action.sql.split(" ")[3] : "";
  assert.equal(name.length, 63);
  assert.match(name, /^orders_archive_c+_idx$/);
});
