import assert from "node:assert/strict";
import { copyChunks, copyField, copyLine } from "../../bench/reference_app/data/copy_text.ts";

Deno.test("copyField escapes what COPY text format treats specially", () => {
  assert.equal(copyField(null), "\\N");
  assert.equal(copyField(undefined), "\\N");
  assert.equal(copyField("a\tb\nc\\d\re"), "a\\tb\\nc\\\\d\\re");
  assert.equal(copyField(true), "t");
  assert.equal(copyField(false), "f");
  assert.equal(copyField(1.5), "1.5");
  assert.equal(copyField(new Date("2025-01-02T03:04:05Z")), "2025-01-02T03:04:05.000Z");
  assert.equal(copyField({ a: "x\ny" }), '{"a":"x\\\\ny"}');
  assert.throws(() => copyField(Number.NaN), /non-finite/);
});

Deno.test("copyLine joins fields with tabs and ends with a newline", () => {
  assert.equal(copyLine(["a", null, 2]), "a\t\\N\t2\n");
});

Deno.test("copyChunks groups lines into chunks and reports every row once", () => {
  let reported = 0;
  const chunks = [
    ...copyChunks(Array.from({ length: 100 }, (_, i) => i), (i) => [i], 50, (n) => reported += n),
  ];
  assert.ok(chunks.length > 1);
  assert.equal(chunks.join("").split("\n").length - 1, 100);
  assert.equal(reported, 100);
});
