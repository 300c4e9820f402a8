import assert from "node:assert/strict";
import { readSelectShape } from "../../shared/query_shape/select_shape.ts";
import { planNarrowing } from "../../shared/query_shape/wide_columns.ts";

const columns = ["id", "user_id", "name", "code", "chat_history", "created_at"];
const widths = new Map([["name", 14], ["code", 6100], ["chat_history", 2300]]);

function plan(statement: string, minColumnBytes = 512) {
  const read = readSelectShape(statement);
  assert.ok("shape" in read);
  return planNarrowing(statement, read.shape, columns, widths, minColumnBytes);
}

Deno.test("planNarrowing() expands * without the wide columns, widest first", () => {
  const planned = plan("select * from public.robots where user_id = $1 order by created_at desc limit $2");
  assert.ok("narrowing" in planned);
  assert.deepEqual(planned.narrowing.wide, [
    { column: "code", avgBytes: 6100 },
    { column: "chat_history", avgBytes: 2300 },
  ]);
  assert.deepEqual(planned.narrowing.narrowColumns, ["id", "user_id", "name", "created_at"]);
  assert.equal(
    planned.narrowing.narrowStatement,
    'select "id", "user_id", "name", "created_at" from public.robots where user_id = $1 ' +
      "order by created_at desc limit $2",
  );
});

Deno.test("planNarrowing() drops explicit wide columns and keeps the other targets as written", () => {
  const planned = plan("select id, r.code, upper(name) as n from robots r");
  assert.ok("narrowing" in planned);
  assert.equal(planned.narrowing.narrowStatement, "select id, upper(name) as n from robots r");
});

Deno.test("planNarrowing() does not fire when no selected column is wide, and names the widest", () => {
  assert.deepEqual(plan("select id, name from robots"), {
    reason: "no selected column averages 512 bytes or more (widest: name, 14 bytes)",
  });
});

Deno.test("planNarrowing() does not fire when every selected column is wide", () => {
  assert.deepEqual(plan("select code, chat_history from robots"), {
    reason: "every column it selects is wide: nothing narrower to select",
  });
});

Deno.test("planNarrowing() follows minColumnBytes", () => {
  const planned = plan("select * from robots", 3000);
  assert.ok("narrowing" in planned);
  assert.deepEqual(planned.narrowing.wide.map((w) => w.column), ["code"]);
});
