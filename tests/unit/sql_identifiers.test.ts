import assert from "node:assert/strict";
import { readableIdent, storedName } from "../../shared/sql/identifiers.ts";

Deno.test("readableIdent() leaves a lowercase name bare", () => {
  assert.equal(readableIdent("robot_messages"), "robot_messages");
});

Deno.test("readableIdent() quotes a reserved word, capitals and quotes", () => {
  assert.equal(readableIdent("order"), '"order"');
  assert.equal(readableIdent("userId"), '"userId"');
  assert.equal(readableIdent('a"b'), '"a""b"');
});

Deno.test("storedName() keeps a quoted identifier as written and folds a bare one to lower case", () => {
  assert.equal(storedName('"My""Index"'), 'My"Index');
  assert.equal(storedName("Robots_Idx"), "robots_idx");
});
