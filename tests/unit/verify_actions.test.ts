import assert from "node:assert/strict";
import { type ActionCheckRecord, estimatedGain, estimatorError } from "../../shared/mod.ts";

const check = (kind: string, relativeError: number | null): ActionCheckRecord => ({
  findingId: "1",
  appliedAt: "2026-11-30T00:00:00.000Z",
  kind,
  checkedAt: "2026-11-30T01:00:00.000Z",
  verdict: relativeError === null ? "pending" : "kept",
  rolledBack: false,
  estimate: estimatedGain(100, "ms", "m"),
  measured: null,
  relativeError,
  reason: "r",
});

Deno.test("estimatorError() is the median relative error per action kind, pending checks left out", () => {
  assert.deepEqual(
    estimatorError([
      check("index-build", 0.1),
      check("index-build", 0.5),
      check("index-build", 0.2),
      check("index-build", null),
      check("config", null),
    ]),
    [
      { kind: "config", checks: 0, medianRelativeError: null },
      { kind: "index-build", checks: 3, medianRelativeError: 0.2 },
    ],
  );
});
