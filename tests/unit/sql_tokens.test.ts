import assert from "node:assert/strict";
import { identifierName, matchingClose, tokenize } from "../../shared/sql/tokens.ts";

Deno.test("tokenize() keeps string literals, quoted identifiers and comments whole", () => {
  const tokens = tokenize(`select "Odd ""Col""", 'it''s (not) code' -- a comment (\n/* also ( */ from t`);
  assert.deepEqual(tokens.map((t) => [t.kind, t.text]), [
    ["word", "select"],
    ["quoted", '"Odd ""Col"""'],
    ["comma", ","],
    ["string", "'it''s (not) code'"],
    ["word", "from"],
    ["word", "t"],
  ]);
  assert.equal(identifierName(tokens[1]), 'Odd "Col"');
});

Deno.test("tokenize() tells parameters, casts and operators apart", () => {
  const tokens = tokenize("a::text = $12 and b->>'k' <= 1.5e3");
  assert.deepEqual(tokens.map((t) => t.kind), [
    "word",
    "cast",
    "word",
    "operator",
    "param",
    "word",
    "word",
    "operator",
    "string",
    "operator",
    "number",
  ]);
});

Deno.test("tokenize() reads dollar-quoted and E'' strings", () => {
  const tokens = tokenize("select $$a ' b$$, E'x\\'y', $tag$)$tag$");
  assert.deepEqual(tokens.filter((t) => t.kind === "string").map((t) => t.text), [
    "$$a ' b$$",
    "E'x\\'y'",
    "$tag$)$tag$",
  ]);
});

Deno.test("tokenize() refuses an unterminated literal with its offset", () => {
  assert.throws(() => tokenize("select 'open"), /unterminated string literal at offset 7/);
});

Deno.test("matchingClose() skips nested parentheses", () => {
  const tokens = tokenize("f(a, g(b), (c)) + 1");
  assert.equal(tokens[matchingClose(tokens, 1)].end, "f(a, g(b), (c))".length);
});
