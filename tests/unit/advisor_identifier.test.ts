import assert from "node:assert/strict";
import { quoteIdent } from "../../shared/advisor/identifier.ts";

Deno.test("quoteIdent() leaves a lowercase name bare", () => {
  assert.equal(quoteIdent("robot_messages"), "robot_messages");
});

Deno.test("quoteIdent() quotes a reserved word, capitals and quotes", () => {
  assert.equal(quoteIdent("order"), '"order"');
  assert.equal(quoteIdent("userId"), '"userId"');
  assert.equal(quoteIdent('a"b'), '"a""b"');
});
