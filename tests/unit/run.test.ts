import assert from "node:assert/strict";
import {
  type Analyzer,
  createSql,
  parseConfig,
  runAnalyzers,
  type RunAnalyzersOptions,
} from "../../shared/mod.ts";
import { testFinding } from "../support/findings.ts";

/**
 * runAnalyzers() with small real analyzers. The database client is never used by them: createSql() opens no
 * connection until a query is sent.
 */

const sql = createSql({ functionName: "run-test", url: "postgres://nobody@127.0.0.1:1/none" });
const options = (seconds = 1): RunAnalyzersOptions => ({
  sql,
  config: parseConfig({ limits: { maxRunDurationSeconds: seconds } }),
  now: new Date("2026-11-28T12:00:00Z"),
});

const finding = (subject: string) => testFinding(subject, { rule: "test.run", system: "cache" });

const reporting = (name: string, subject: string): Analyzer => ({
  name,
  analyze: () =>
    Promise.resolve({
      findings: [finding(subject)],
      rejected: [{ rule: "test.run", subject: "other", reason: "below threshold" }],
      notes: ["a note"],
    }),
});

const sleeping = (name: string, ms: number): Analyzer => ({
  name,
  analyze: async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { findings: [finding(`${name}-late`)], rejected: [], notes: [] };
  },
});

Deno.test("runAnalyzers() keeps the findings, rejections and notes of analyzers that complete", async () => {
  const outcome = await runAnalyzers([reporting("one", "x")], options());
  assert.deepEqual(outcome.reported.map((r) => [r.analyzer, r.finding.subject]), [["one", "x"]]);
  assert.deepEqual([...outcome.complete], ["one"]);
  assert.equal(outcome.analyzers[0].status, "completed");
  assert.deepEqual(outcome.analyzers[0].rejected, [{
    rule: "test.run",
    subject: "other",
    reason: "below threshold",
  }]);
  assert.deepEqual(outcome.analyzers[0].notes, ["a note"]);
});

Deno.test("runAnalyzers() records an analyzer that throws and goes on with the next", async () => {
  const throwing: Analyzer = {
    name: "broken",
    analyze: () => Promise.reject(new Error("relation does not exist")),
  };
  const outcome = await runAnalyzers([throwing, reporting("one", "x")], options());
  assert.deepEqual(outcome.analyzers.map((a) => [a.name, a.status, a.error]), [
    ["broken", "failed", "relation does not exist"],
    ["one", "completed", null],
  ]);
  assert.deepEqual([...outcome.complete], ["one"]);
});

Deno.test("runAnalyzers() passes each analyzer the run's deadline and window", async () => {
  let seen: { deadline: number; from: Date; to: Date } | null = null;
  const before = Date.now();
  await runAnalyzers([{
    name: "spy",
    analyze: (context) => {
      seen = { deadline: context.deadline, ...context.window };
      return Promise.resolve({ findings: [], rejected: [], notes: [] });
    },
  }], options(5));
  assert.ok(seen);
  const { deadline, from, to } = seen as { deadline: number; from: Date; to: Date };
  assert.ok(deadline >= before + 5000 && deadline <= Date.now() + 5000);
  assert.equal(to.getTime() - from.getTime(), 24 * 3600_000);
});

Deno.test("runAnalyzers() leaves an analyzer behind at the deadline, drops its findings and skips the rest", async () => {
  const started = Date.now();
  const outcome = await runAnalyzers([sleeping("slow", 3000), reporting("after", "y")], options(1));
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 2500, `the run ended at its deadline: ${elapsed} ms`);
  assert.deepEqual(outcome.analyzers.map((a) => [a.name, a.status]), [["slow", "timed-out"], [
    "after",
    "skipped",
  ]]);
  assert.match(outcome.analyzers[0].error ?? "", /maxRunDurationSeconds: 1 s/);
  assert.deepEqual(outcome.reported, []);
  assert.equal(outcome.complete.size, 0);
  // let the abandoned analyzer finish so that no timer outlives the test
  await new Promise((resolve) => setTimeout(resolve, 3100 - elapsed));
});

Deno.test("runAnalyzers() refuses an analyzer's invalid Finding, saying which field", async () => {
  const forged = { ...finding("z"), fingerprint: "0".repeat(64) };
  const outcome = await runAnalyzers([{
    name: "forger",
    analyze: () => Promise.resolve({ findings: [forged], rejected: [], notes: [] }),
  }], options());
  assert.equal(outcome.analyzers[0].status, "failed");
  assert.match(outcome.analyzers[0].error ?? "", /findings\[0\]\.fingerprint/);
  assert.equal(outcome.complete.size, 0);
});
