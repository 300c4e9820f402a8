import assert from "node:assert/strict";
import { readableIdent } from "../../shared/sql/identifiers.ts";

Deno.test("readableIdent() leaves a lowercase name bare", () => {
  assert.equal(readableIdent("robot_messages"), "robot_messages");
});

Deno.test("readableIdent() quotes a reserved word, capitals and quotes", () => {
  assert.equal(readableIdent("order"), '"order"');
  assert.equal(readableIdent("userId"), '"userId"');
  assert.equal(readableIdent('a"b'), '"a""b"');
});
