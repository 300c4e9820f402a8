import assert from "node:assert/strict";
import { containsPattern, copyName } from "../../bench/reference_app/functions/robots/store.ts";

Deno.test("a search term's LIKE wildcards are matched literally", () => {
  assert.equal(containsPattern("grid"), "%grid%");
  assert.equal(containsPattern("50%_off\\"), "%50\\%\\_off\\\\%");
});

Deno.test("a duplicate is named 'Copy of …' and still fits the 255-character column with a suffix", () => {
  assert.equal(copyName("Scalper"), "Copy of Scalper");
  const long = copyName("x".repeat(255), " (ab12cd34)");
  assert.equal(long.length, 255);
  assert.ok(long.startsWith("Copy of x") && long.endsWith(" (ab12cd34)"));
});
