import assert from "node:assert/strict";
import { dateTimeProblem, jsonProblem, maxJsonDepth, textProblem } from "../../shared/db/pg_input.ts";

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

Deno.test("textProblem() refuses NUL and lone surrogates and accepts any other text", () => {
  assert.match(textProblem("a\u0000b")!, /NUL/);
  assert.match(textProblem("\ud800")!, /lone UTF-16 surrogate/);
  assert.match(textProblem("x\udc00")!, /lone UTF-16 surrogate/);
  assert.equal(textProblem("emoji \ud83d\ude00, accents é, CJK 漢字"), null);
});

Deno.test("dateTimeProblem() refuses offsets from 16 hours, over 9 fraction digits and year 0000", () => {
  assert.match(dateTimeProblem("2025-06-01T12:00:00+20:00")!, /-15:59 and \+15:59: got \+20:00/);
  assert.match(dateTimeProblem("2025-06-01T12:00:00-16:00")!, /got -16:00/);
  assert.equal(dateTimeProblem("2025-06-01T12:00:00+15:59"), null);
  assert.equal(dateTimeProblem("2025-06-01T12:00:00-15:59"), null);
  assert.match(dateTimeProblem(`2025-06-01T12:00:00.${"1".repeat(300)}Z`)!, /at most 9 .*got 300/);
  assert.equal(dateTimeProblem("2025-06-01T12:00:00.123456789Z"), null);
  assert.match(dateTimeProblem("0000-01-01T00:00:00Z")!, /year 0000/);
});

Deno.test("jsonProblem() bounds nesting without recursing, so thousands of levels cannot overflow", () => {
  assert.equal(jsonProblem(nested(maxJsonDepth - 1)), null);
  const deep = jsonProblem(nested(200_000));
  assert.equal(deep?.path.length, maxJsonDepth);
  assert.match(deep!.message, /deeper than 8 levels/);
});

Deno.test("jsonProblem() names the path of a string or key Postgres cannot store", () => {
  assert.deepEqual(jsonProblem({ ok: "x", tags: ["a", "b\u0000"] }), {
    path: ["tags", 1],
    message: "must not contain the NUL character (\\u0000): Postgres cannot store it",
  });
  assert.deepEqual(jsonProblem({ nested: { "k\ud800": 1 } })?.path, ["nested", "k\ud800"]);
  assert.match(jsonProblem({ n: Number.NaN })!.message, /finite/);
  assert.match(jsonProblem({ f: () => 1 })!.message, /JSON value: got function/);
});
