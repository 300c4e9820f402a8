import assert from "node:assert/strict";
import { abbreviate } from "../../shared/sql/abbreviate.ts";

Deno.test("abbreviate() puts a statement on one line and keeps a short one whole", () => {
  assert.equal(
    abbreviate("  select *\n  from robots\twhere id = $1 ", 40),
    "select * from robots where id = $1",
  );
});

Deno.test("abbreviate() cuts a long statement and marks the cut", () => {
  assert.equal(abbreviate("select id from robots", 9), "select id…");
  assert.equal(abbreviate("select id", 9), "select id");
});
