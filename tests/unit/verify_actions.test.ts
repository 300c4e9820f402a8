import assert from "node:assert/strict";
import {
  type ActionCheckRecord,
  estimatedGain,
  estimatorError,
  estimatorErrorSeries,
} from "../../shared/mod.ts";

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

Deno.test("estimatorErrorSeries() is the median error per kind per UTC day of the latest verdict, oldest first", () => {
  const on = (day: string, kind: string, relativeError: number | null): ActionCheckRecord => ({
    ...check(kind, relativeError),
    checkedAt: `${day}T23:30:00.000Z`,
  });
  assert.deepEqual(
    estimatorErrorSeries([
      on("2026-11-30", "index-build", 0.1),
      on("2026-11-29", "index-build", 0.5),
      on("2026-11-29", "index-build", 0.25),
      on("2026-11-28", "index-build", null),
    ]),
    [
      { day: "2026-11-29", kind: "index-build", checks: 2, medianRelativeError: 0.375 },
      { day: "2026-11-30", kind: "index-build", checks: 1, medianRelativeError: 0.1 },
    ],
  );
});
