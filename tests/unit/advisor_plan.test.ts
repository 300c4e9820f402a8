import assert from "node:assert/strict";
import { parseCondition, parsePredicate, summarizePlan } from "../../shared/advisor/plan.ts";

// Shapes as `explain (format json, verbose)` of a generic plan prints them on Postgres 15.
const limitSortScan = [{
  Plan: {
    "Node Type": "Limit",
    "Total Cost": 848.8,
    Plans: [{
      "Node Type": "Sort",
      "Total Cost": 850.03,
      "Sort Key": ["r.created_at DESC"],
      Plans: [{
        "Node Type": "Seq Scan",
        "Relation Name": "robots",
        Schema: "public",
        Alias: "r",
        "Total Cost": 837.97,
        Output: ["r.id", "r.created_at", "r.user_id"],
        Filter: "((r.user_id = $1) AND (r.deleted_at IS NULL))",
      }],
    }],
  },
}];

Deno.test("summarizePlan() attributes a scan's equality and constant predicates to its table", () => {
  const [access] = summarizePlan(limitSortScan).accesses;
  assert.equal(`${access.schema}.${access.table}`, "public.robots");
  assert.deepEqual(access.groups.map((g) => g.map((p) => `${p.op}:${p.sql}`)), [[
    "eq:user_id = $1",
    "null:deleted_at is null",
  ]]);
});

Deno.test("summarizePlan() records the sort key above a scan and the LIMIT above the sort", () => {
  const [access] = summarizePlan(limitSortScan).accesses;
  assert.deepEqual(access.sort, [{ key: { kind: "column", column: "created_at" }, desc: true }]);
  assert.equal(access.limited, true);
  assert.deepEqual(access.output, ["id", "created_at", "user_id"]);
});

Deno.test("summarizePlan() gives the plan's total cost", () => {
  assert.equal(summarizePlan(limitSortScan).totalCost, 848.8);
});

Deno.test("summarizePlan() turns a join condition into an equality on each side", () => {
  const plan = [{
    Plan: {
      "Node Type": "Hash Join",
      "Total Cost": 100,
      "Hash Cond": "(m.robot_id = r.id)",
      Plans: [
        { "Node Type": "Seq Scan", "Relation Name": "robot_messages", Schema: "public", Alias: "m" },
        { "Node Type": "Seq Scan", "Relation Name": "robots", Schema: "public", Alias: "r" },
      ],
    },
  }];
  const accesses = summarizePlan(plan).accesses;
  assert.deepEqual(accesses.map((a) => [a.table, a.groups.flat().map((p) => p.sql)]), [
    ["robot_messages", ["robot_id = r.id"]],
    ["robots", ["id = m.robot_id"]],
  ]);
});

Deno.test("parseCondition() splits an OR into alternatives, each with the conjuncts around it", () => {
  const groups = parseCondition(
    "(((r.user_id = $1) OR (r.is_public AND (r.deleted_at IS NULL))) AND (r.kind = $2))",
    "r",
  );
  assert.deepEqual(groups.map((g) => g.map((p) => p.sql)), [
    ["user_id = $1", "kind = $2"],
    ["is_public", "deleted_at is null", "kind = $2"],
  ]);
});

Deno.test("parseCondition() states a predicate repeated inside and outside an OR once", () => {
  const groups = parseCondition(
    "(((r.user_id = $1) OR (r.is_public AND (r.deleted_at IS NULL))) AND (r.deleted_at IS NULL))",
    "r",
  );
  assert.deepEqual(groups.map((g) => g.map((p) => p.sql)), [
    ["user_id = $1", "deleted_at is null"],
    ["is_public", "deleted_at is null"],
  ]);
});

Deno.test("parsePredicate() reads lower(x) and jsonb ->> as expression keys", () => {
  assert.deepEqual(parsePredicate("(lower(t.email) = $1)", "t")?.key, {
    kind: "expression",
    sql: "lower(email)",
    columns: ["email"],
  });
  assert.deepEqual(parsePredicate("((t.data ->> 'kind'::text) = $1)", "t")?.key, {
    kind: "expression",
    sql: "(data ->> 'kind')",
    columns: ["data"],
  });
});

Deno.test("parsePredicate() reads ilike as like, a range against now() as range, NOT x as false", () => {
  assert.equal(parsePredicate("((t.name)::text ~~* $1)", "t")?.op, "like");
  assert.equal(parsePredicate("(t.created_at > (now() - $2))", "t")?.op, "range");
  assert.equal(parsePredicate("(NOT t.archived)", "t")?.sql, "not archived");
  assert.equal(parsePredicate("($1 < t.price)", "t")?.sql, "price > $1");
});

Deno.test("parsePredicate() ignores a comparison of two columns of the same row", () => {
  assert.equal(parsePredicate("(t.updated_at > t.created_at)", "t"), null);
});
