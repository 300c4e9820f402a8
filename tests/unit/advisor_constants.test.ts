import assert from "node:assert/strict";
import {
  constantKey,
  learnConstants,
  type QualRow,
  specializeStatement,
} from "../../shared/advisor/constants.ts";

function qual(constvalue: string, fields: Partial<QualRow> = {}): QualRow {
  return {
    queryid: "1",
    schema: "public",
    table: "robots",
    column: "status",
    operator: "=",
    constvalue,
    occurences: 3,
    ...fields,
  };
}

const active = { schema: "public", table: "robots", column: "status", value: "'active'::text", samples: 6 };

Deno.test("learnConstants() takes a predicate seen with one value, often enough, as constant", () => {
  assert.deepEqual(learnConstants([qual("'active'::text"), qual("'active'::text")], 5).get("1"), [active]);
});

Deno.test("learnConstants() does not take a predicate seen with several values as constant", () => {
  assert.equal(learnConstants([qual("'active'::text"), qual("'draft'::text")], 1).size, 0);
});

Deno.test("learnConstants() does not trust fewer samples than minSamples", () => {
  assert.equal(learnConstants([qual("'active'::text")], 5).size, 0);
});

Deno.test("learnConstants() ignores operators other than =", () => {
  assert.equal(learnConstants([qual("5::integer", { operator: ">" })], 1).size, 0);
});

Deno.test("specializeStatement() puts the learned value in place of its parameter", () => {
  const { query, applied } = specializeStatement(
    "select * from robots r where r.status = $1 and user_id = $2",
    [active],
  );
  assert.equal(query, "select * from robots r where r.status = 'active'::text and user_id = $2");
  assert.deepEqual(applied, [active]);
});

Deno.test("specializeStatement() leaves a column named twice alone", () => {
  const text = "select * from a join b on a.id = b.id where a.status = $1 and b.status = $2";
  assert.deepEqual(specializeStatement(text, [active]), { query: text, applied: [] });
});

Deno.test("constantKey() compares a constant predicate without quotes and casts", () => {
  assert.equal(constantKey("status = 'it''s'::text"), "status = it's");
  assert.equal(constantKey("n = 5::integer"), "n = 5");
});
