import assert from "node:assert/strict";
import { formatDotenv, parseDotenv } from "../../scripts/stack/env_file.ts";

Deno.test("dotenv values are double-quoted with quotes, backslashes and newlines escaped", () => {
  assert.equal(
    formatDotenv({ A: "plain", B: '{"k":"v\\n"}', C: "two\nlines" }),
    'A="plain"\nB="{\\"k\\":\\"v\\\\n\\"}"\nC="two\\nlines"\n',
  );
});

Deno.test("what formatDotenv writes parses back to the same values", () => {
  const vars = {
    JWK: JSON.stringify({ kty: "EC", d: "a\\b", x: 'q"' }),
    URL: "http://127.0.0.1:54321",
    EMPTY: "",
  };
  assert.deepEqual(parseDotenv(formatDotenv(vars)), vars);
});

Deno.test("dotenv parsing accepts export, comments, single quotes and bare values", () => {
  const text = "# secrets\nexport A=1\nB='x # y'\nC=bare # comment\n\nD = \"q\"\n";
  assert.deepEqual(parseDotenv(text), { A: "1", B: "x # y", C: "bare", D: "q" });
});

Deno.test("an invalid variable name is rejected with the name", () => {
  assert.throws(() => formatDotenv({ "1X": "v" }), /got "1X"/);
});
