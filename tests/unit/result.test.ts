import assert from "node:assert/strict";
import { type FindingSystem, recommendationResult, type Severity } from "../../shared/mod.ts";
import { testFinding } from "../support/findings.ts";

const finding = (system: FindingSystem, severity: Severity, subject: string) =>
  testFinding(subject, { rule: "test.result", system, severity });

Deno.test("recommendationResult() sorts findings by system, most severe first, and counts each level", () => {
  const result = recommendationResult([
    finding("db", "info", "a"),
    finding("db", "critical", "b"),
    finding("edge", "warning", "c"),
    finding("overall", "info", "d"),
  ]);
  assert.deepEqual(result.database.map((f) => f.subject), ["b", "a"]);
  assert.deepEqual(result.cache, []);
  assert.deepEqual(result.edge.map((f) => f.subject), ["c"]);
  assert.deepEqual(result.overall.map((f) => f.subject), ["d"]);
  assert.deepEqual(result.priority, { level: "critical", counts: { info: 2, warning: 1, critical: 1 } });
});

Deno.test("recommendationResult() of no findings has no priority level", () => {
  assert.deepEqual(recommendationResult([]).priority, {
    level: null,
    counts: { info: 0, warning: 0, critical: 0 },
  });
});
