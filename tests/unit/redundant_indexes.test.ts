import assert from "node:assert/strict";
import { findPrefixRedundantIndexes } from "../../shared/db_health/redundant_indexes.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { index } from "../support/health_fixtures.ts";

const twoColumns = index("orders_customer_created_idx", [["customer_id", 2], ["created_at", 3]]);

Deno.test("findPrefixRedundantIndexes() reports a btree whose keys lead another's", () => {
  const single = index("orders_customer_idx", [["customer_id", 2]]);
  const { findings } = findPrefixRedundantIndexes([single, twoColumns]);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].rule, "index.prefix-redundant");
  assert.equal(findings[0].subject, "index:public.orders_customer_idx");
  assert.deepEqual(findings[0].evidence.statistic, {
    name: "key columns lead",
    value: "public.orders_customer_created_idx",
  });
  assert.deepEqual(findings[0].action, {
    kind: "sql",
    sql: "drop index concurrently if exists public.orders_customer_idx",
    rollback: single.definition.replace("CREATE INDEX", "create index concurrently"),
  });
});

Deno.test("findPrefixRedundantIndexes() ignores an index whose columns are not the other's leading ones", () => {
  const second = index("orders_created_idx", [["created_at", 3]]);
  assert.deepEqual(findPrefixRedundantIndexes([second, twoColumns]), { findings: [], rejected: [] });
});

Deno.test("findPrefixRedundantIndexes() keeps a unique prefix: it enforces what the longer does not", () => {
  const unique = index("orders_customer_key", [["customer_id", 2]], { unique: true });
  const { findings, rejected } = findPrefixRedundantIndexes([unique, twoColumns]);
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "not made redundant by orders_customer_created_idx: it enforces uniqueness (or a constraint) on its own columns, which orders_customer_created_idx does not",
  ]);
});

Deno.test("findPrefixRedundantIndexes() keeps a prefix with another predicate, sort order or collation", () => {
  const cases = [
    index("a_partial", [["customer_id", 2]], { predicate: "(deleted_at IS NULL)" }),
    index("b_desc", [["customer_id", 2]], { options: [3] }),
    index("c_collation", [["customer_id", 2]], { collations: ["950"] }),
  ];
  const { findings, rejected } = findPrefixRedundantIndexes([...cases, twoColumns]);
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => [r.subject, r.reason]), [
    [
      "index:public.a_partial",
      "not made redundant by orders_customer_created_idx: its predicate ((deleted_at IS NULL)) differs from orders_customer_created_idx's (none)",
    ],
    [
      "index:public.b_desc",
      "not made redundant by orders_customer_created_idx: its sort order (asc/desc, nulls first/last) differs from orders_customer_created_idx's on the shared columns",
    ],
    [
      "index:public.c_collation",
      "not made redundant by orders_customer_created_idx: its collations differ from orders_customer_created_idx's on the shared columns",
    ],
  ]);
});

Deno.test("findPrefixRedundantIndexes() keeps a prefix whose include columns the longer lacks", () => {
  const covering = index("orders_customer_total_idx", [["customer_id", 2], ["total", 5]], { keyCount: 1 });
  const { findings, rejected } = findPrefixRedundantIndexes([covering, twoColumns]);
  assert.deepEqual(findings, []);
  assert.match(rejected[0].reason, /include columns \(total\) are not in orders_customer_created_idx/);
});

Deno.test("findPrefixRedundantIndexes() reports a plain index repeated by one with include columns", () => {
  const plain = index("orders_customer_idx", [["customer_id", 2]]);
  const withInclude = index("orders_customer_incl_idx", [["customer_id", 2], ["total", 5]], { keyCount: 1 });
  const { findings } = findPrefixRedundantIndexes([plain, withInclude]);
  assert.deepEqual(findings.map((f) => f.subject), ["index:public.orders_customer_idx"]);
});

Deno.test("findPrefixRedundantIndexes() compares only valid btree indexes, leaving duplicates to index.duplicate", () => {
  const outcome = findPrefixRedundantIndexes([
    index("a_gin", [["customer_id", 2]], { method: "gin" }),
    index("b_idx", [["customer_id", 2]]),
    index("c_idx", [["customer_id", 2]]),
    index("d_invalid", [["customer_id", 2], ["created_at", 3]], { valid: false }),
  ]);
  assert.deepEqual(outcome, { findings: [], rejected: [] });
});

Deno.test("findPrefixRedundantIndexes() does not count a longer index proposed for dropping as covering", () => {
  const single = index("orders_customer_idx", [["customer_id", 2]]);
  const { findings, rejected } = findPrefixRedundantIndexes(
    [single, twoColumns],
    new Set(["index:public.orders_customer_created_idx"]),
  );
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "not made redundant by orders_customer_created_idx: it is itself proposed for dropping",
  ]);
});
