import assert from "node:assert/strict";
import { bindParameters, parameterSlots, shapeValue } from "../../shared/measure/parameters.ts";

Deno.test("parameterSlots() ties each $n to its column, LIMIT or OFFSET", () => {
  assert.deepEqual(
    parameterSlots(
      "select * from robots where id = any($1::uuid[]) and user_id = $2 and $3 < created_at " +
        "and (name ilike $4 or description ilike $4) and kind in ($5, $6) limit $7 offset $8",
    ),
    [
      { index: 1, kind: "column", column: "id", match: "array" },
      { index: 2, kind: "column", column: "user_id", match: "equal" },
      { index: 3, kind: "column", column: "created_at", match: "range" },
      { index: 4, kind: "column", column: "name", match: "pattern" },
      { index: 5, kind: "column", column: "kind", match: "equal" },
      { index: 6, kind: "column", column: "kind", match: "equal" },
      { index: 7, kind: "limit" },
      { index: 8, kind: "offset" },
    ],
  );
});

Deno.test("bindParameters() draws column values and pages, shaped for their use", () => {
  const slots = parameterSlots("select * from t where user_id = $1 and name ilike $2 limit $3 offset $4");
  const values: Record<string, string> = { user_id: "u-1", name: "Grid_bot" };
  assert.deepEqual(bindParameters(slots, (c) => values[c] ?? null, { limit: 100, offset: 0 }), {
    params: ["u-1", "%Gri%", "100", "0"],
  });
});

Deno.test("bindParameters() gives the reason when a parameter cannot be drawn", () => {
  const page = { limit: 100, offset: 0 };
  assert.deepEqual(bindParameters(parameterSlots("select extract($1 from t.at) from t"), () => "x", page), {
    reason: "cannot tell what $1 stands for (near 'extract ( $1 from t')",
  });
  assert.deepEqual(bindParameters(parameterSlots("select * from t where a = $1"), () => null, page), {
    reason: "column a of $1 has no value to draw",
  });
});

Deno.test("shapeValue() escapes LIKE wildcards and array quoting", () => {
  assert.equal(shapeValue("5%_off", "pattern"), "%5\\%\\_%");
  assert.equal(shapeValue('a"b', "array"), '{"a\\"b"}');
});
