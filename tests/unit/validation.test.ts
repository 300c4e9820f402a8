import assert from "node:assert/strict";
import { z } from "zod";
import { fieldIssues, formatPath } from "../../shared/http/validation.ts";

Deno.test("formatPath() writes paths the way JavaScript reads them", () => {
  assert.equal(formatPath(["events", 3, "latencyMs"]), "events[3].latencyMs");
  assert.equal(formatPath([0, "a"]), "[0].a");
  assert.equal(formatPath([]), "(root)");
});

Deno.test("fieldIssues() lists every zod issue as {path, message}", () => {
  const result = z.strictObject({ a: z.number(), b: z.array(z.string()) }).safeParse({ a: "x", b: ["y", 2] });
  assert.deepEqual(fieldIssues(result.error!).map((issue) => issue.path), ["a", "b[1]"]);
});
