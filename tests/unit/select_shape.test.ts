import assert from "node:assert/strict";
import { readSelectShape } from "../../shared/query_shape/select_shape.ts";

Deno.test("readSelectShape() reads the reference app's dashboard list", () => {
  const statement =
    "select * from public.robots where (user_id = $1 or (is_public and deleted_at is null)) " +
    "and is_active = $2 and deleted_at is null order by created_at desc limit $3";
  const read = readSelectShape(statement);
  assert.ok("shape" in read);
  assert.equal(read.shape.schema, "public");
  assert.equal(read.shape.table, "robots");
  assert.deepEqual(read.shape.targets, [{ text: "*", column: null, star: true }]);
  assert.equal(statement.slice(read.shape.targetsStart, read.shape.targetsEnd), "*");
});

Deno.test("readSelectShape() reads explicit columns, qualified ones and expressions", () => {
  const read = readSelectShape("select r.id, name, count(*) as n from robots r where id = $1");
  assert.ok("shape" in read);
  assert.deepEqual(read.shape.targets.map((t) => t.column), ["id", "name", null]);
  assert.equal(read.shape.schema, null);
});

Deno.test("readSelectShape() turns down joins, lists of tables, CTEs, DISTINCT and writes, with reasons", () => {
  const reasons = [
    "select * from a join b on a.id = b.id",
    "select * from a, b",
    "with x as (select 1) select * from x",
    "select distinct user_id from robots",
    "update robots set name = $1",
    "select 1",
  ].map((statement) => (readSelectShape(statement) as { reason: string }).reason);
  assert.deepEqual(reasons, [
    "has JOIN: only single-table reads are measured",
    "reads more than one table (at ',')",
    "does not start with SELECT (CTEs are not read; writes are not measured: they lock rows)",
    "has DISTINCT: fewer columns would change which rows it returns",
    "does not start with SELECT (CTEs are not read; writes are not measured: they lock rows)",
    "reads no table",
  ]);
});
