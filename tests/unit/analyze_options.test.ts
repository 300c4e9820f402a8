import assert from "node:assert/strict";
import { checkWholeNumber } from "../../shared/analyze/options.ts";

Deno.test("checkWholeNumber() refuses a fraction or a number below its least value, naming the option", () => {
  assert.doesNotThrow(() => checkWholeNumber("n", 0, 0));
  assert.throws(() => checkWholeNumber("n", 1.5, 1), /n must be a whole number >= 1: got 1.5/);
  assert.throws(() => checkWholeNumber("n", 0, 1), /n must be a whole number >= 1: got 0/);
  assert.throws(() => checkWholeNumber("n", NaN, 1), /n must be a whole number >= 1: got NaN/);
});
