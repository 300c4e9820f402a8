import assert from "node:assert/strict";
import type { Analyzer } from "../../shared/mod.ts";
import { planAnalyzers } from "../../scripts/advise/analyzers.ts";

const analyzer = (name: string): Analyzer => ({
  name,
  analyze: () => Promise.resolve({ findings: [], rejected: [], notes: [] }),
});
const all = ["index-advisor", "db-health", "cache", "edge", "breakers", "warm-budget", "correlation"].map(
  analyzer,
);

Deno.test("planAnalyzers() runs every analyzer where schema optimizer exists", () => {
  const { run, skipped } = planAnalyzers(all, true);
  assert.deepEqual(run.map((a) => a.name), [
    "index-advisor",
    "db-health",
    "cache",
    "edge",
    "breakers",
    "warm-budget",
    "correlation",
  ]);
  assert.deepEqual(skipped, []);
});

Deno.test("planAnalyzers() skips the metric store's analyzers without schema optimizer, saying why", () => {
  const { run, skipped } = planAnalyzers(all, false);
  assert.deepEqual(run.map((a) => a.name), ["index-advisor", "db-health"]);
  assert.deepEqual(skipped.map((r) => [r.name, r.status]), [
    ["cache", "skipped"],
    ["edge", "skipped"],
    ["breakers", "skipped"],
    ["warm-budget", "skipped"],
    ["correlation", "skipped"],
  ]);
  for (const report of skipped) {
    assert.match(report.error ?? "", /^schema optimizer is absent: .*metric store/);
  }
});
