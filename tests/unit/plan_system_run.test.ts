import assert from "node:assert/strict";
import {
  type PlanOptions,
  planSystemRun,
  type SystemCandidate,
  systemModules,
  toCandidate,
} from "../../shared/mod.ts";
import { testFinding } from "../support/findings.ts";
import { buildCandidate, configCandidate, dropCandidate, prewarmLoad } from "../support/system_fixtures.ts";

const options = (overrides: Partial<PlanOptions> = {}): PlanOptions => ({
  priority: "performance",
  modules: systemModules,
  maxIndexesPerTable: 8,
  maxTotalIndexSizeMb: 1024,
  suiteIndexMb: 0,
  tableIndexes: new Map([["public.robots", 3]]),
  ...overrides,
});

const rejectedOf = (candidates: SystemCandidate[], overrides: Partial<PlanOptions> = {}) =>
  planSystemRun(candidates, options(overrides)).rejected.map((
    r,
  ): [string, string, string] => [r.findingId ?? r.subject, r.step, r.reason]);

Deno.test("planSystemRun() leaves out the modules the run is not asked for", () => {
  const rejected = rejectedOf([buildCandidate("1", ["user_id"], 5_000)], { modules: ["cache"] });
  assert.deepEqual(rejected, [["1", "modules", "module recommendations is not in this run"]]);
});

Deno.test("planSystemRun() leaves findings that are not auto-applicable to a person", () => {
  const candidate = buildCandidate("1", ["user_id"], 5_000);
  candidate.finding = { ...candidate.finding, autoApplicable: false };
  const [[, step, reason]] = rejectedOf([candidate]);
  assert.equal(step, "applicable");
  assert.match(reason, /not auto-applicable .*POST \/recommendations\/1\/apply/);
});

Deno.test("planSystemRun() does not apply an action whose finding states no gain", () => {
  const [[, step, reason]] = rejectedOf([
    configCandidate("1", { limits: { cacheSizeBudgetMb: 128 } }, null!),
  ]);
  assert.equal(step, "applicable");
  assert.match(reason, /states no gain to weigh against its costs/);
});

Deno.test("planSystemRun() refuses guidance, which only a person can act on", () => {
  const finding = testFinding("edge:quote", { system: "edge", autoApplicable: true });
  const candidate = toCandidate({ id: "1", finding }, { workloadMs: null, table: null, indexBytes: null });
  const [[, step, reason]] = rejectedOf([candidate]);
  assert.equal(step, "applicable");
  assert.match(reason, /guidance for a person/);
});

Deno.test("planSystemRun() keeps under performance a build that priority cost rejects for its size", () => {
  // a 1 % saving for a 20 MB index: 2 % of a 1 GB budget
  const candidate = () =>
    buildCandidate("1", ["user_id"], 1_000, { facts: { indexBytes: 20 * 1024 * 1024 } });
  assert.equal(planSystemRun([candidate()], options()).actions.length, 1);
  const [[, step, reason]] = rejectedOf([candidate()], { priority: "cost" });
  assert.equal(step, "score");
  assert.match(
    reason,
    /^scores -\d.* under priority cost: gain 1 % .*takes 20 MB.*its costs outweigh its gain$/,
  );
});

Deno.test("planSystemRun() keeps under cost the drop of a duplicate that performance rejects", () => {
  const drop = () => dropCandidate("1", "robots_dup_idx", 4);
  assert.equal(planSystemRun([drop()], options({ priority: "cost" })).actions.length, 1);
  const [[, step, reason]] = rejectedOf([drop()]);
  assert.equal(step, "score");
  assert.match(reason, /under priority performance: gain 0 % .*frees 4 MB/);
});

Deno.test("planSystemRun() keeps the higher-scoring of two builds that make one another redundant", () => {
  const plan = planSystemRun([
    buildCandidate("1", ["user_id"], 2_000),
    buildCandidate("2", ["user_id", "created_at"], 6_000),
  ], options());
  assert.deepEqual(plan.actions.map((a) => a.candidate.findingId), ["2"]);
  assert.equal(plan.rejected[0].step, "conflicts");
  assert.match(
    plan.rejected[0].reason,
    /make one another redundant: \(user_id, created_at\) serves the lookups of \(user_id\); .*finding 2\) scores higher/,
  );
});

Deno.test("planSystemRun() keeps both builds when neither's keys lead the other's", () => {
  const plan = planSystemRun([
    buildCandidate("1", ["user_id"], 2_000),
    buildCandidate("2", ["created_at", "user_id"], 6_000),
  ], options());
  assert.equal(plan.actions.length, 2);
});

Deno.test("planSystemRun() keeps one of two patches of the same setting", () => {
  const plan = planSystemRun([
    configCandidate("1", { limits: { cacheSizeBudgetMb: 128 } }),
    configCandidate("2", { limits: { cacheSizeBudgetMb: 256 } }, {
      kind: "estimated",
      value: 900,
      unit: "ms",
      model: "m",
    }),
  ], options());
  assert.deepEqual(plan.actions.map((a) => a.candidate.findingId), ["2"]);
  assert.match(plan.rejected[0].reason, /both set limits\.cacheSizeBudgetMb/);
});

Deno.test("planSystemRun() stops adding builds to a table at limits.maxIndexesPerTable", () => {
  const plan = planSystemRun([
    buildCandidate("1", ["user_id"], 6_000),
    buildCandidate("2", ["created_at"], 2_000),
  ], options({ maxIndexesPerTable: 4 }));
  assert.deepEqual(plan.actions.map((a) => a.candidate.findingId), ["1"]);
  assert.deepEqual(plan.rejected.map((r) => [r.findingId, r.step, r.reason]), [
    ["2", "limits", "it would make 5 indexes on public.robots, above limits.maxIndexesPerTable 4"],
  ]);
});

Deno.test("planSystemRun() counts the planned drops before it checks limits.maxIndexesPerTable", () => {
  const plan = planSystemRun([
    buildCandidate("1", ["user_id"], 6_000),
    dropCandidate("2", "robots_dup_idx", 4, "index.invalid"),
  ], options({ maxIndexesPerTable: 3 }));
  assert.equal(plan.actions.length, 2);
});

Deno.test("planSystemRun() keeps the suite's indexes within limits.maxTotalIndexSizeMb", () => {
  const [[id, step, reason]] = rejectedOf([buildCandidate("1", ["user_id"], 6_000)], {
    maxTotalIndexSizeMb: 10,
    suiteIndexMb: 9,
  });
  assert.deepEqual([id, step], ["1", "limits"]);
  assert.equal(
    reason,
    "its estimated 2 MB would take the suite's indexes to 11 MB, above limits.maxTotalIndexSizeMb 10",
  );
});

Deno.test("planSystemRun() does not build an index whose size it cannot estimate", () => {
  const [[, step, reason]] = rejectedOf([
    buildCandidate("1", ["user_id"], 6_000, { facts: { indexBytes: null } }),
  ]);
  assert.equal(step, "limits");
  assert.match(reason, /size is unknown \(hypopg is not installed, or could not plan the index\)/);
});

Deno.test("planSystemRun() orders the actions by score, highest first", () => {
  const plan = planSystemRun([
    buildCandidate("1", ["user_id"], 2_000),
    buildCandidate("2", ["created_at"], 9_000),
    buildCandidate("3", ["name"], 5_000),
  ], options());
  assert.deepEqual(plan.actions.map((a) => a.candidate.findingId), ["2", "3", "1"]);
  assert.ok(plan.actions[0].score > plan.actions[1].score);
});

Deno.test("planSystemRun() does not apply again what a check of its earlier apply rolled back", () => {
  const [[id, step, reason]] = rejectedOf([buildCandidate("1", ["user_id"], 6_000)], {
    rolledBack: new Map([["1", "rolled back: the planner has not scanned the index since it was built"]]),
  });
  assert.deepEqual([id, step], ["1", "applicable"]);
  assert.match(reason, /^a check of its earlier apply undid it \(rolled back: the planner has not scanned/);
});

Deno.test("planSystemRun() leaves a buffer load whose gain is in disk blocks to the predictive run, naming track_io_timing", () => {
  const [[subject, step, reason]] = rejectedOf([prewarmLoad(null)]);
  assert.deepEqual([subject, step], ["table:public.robot_messages@12:15", "score"]);
  assert.match(reason, /gain 0 % of the database time \(its gain is in disk blocks: .*track_io_timing/);
});

Deno.test("planSystemRun() plans a buffer load whose saving outweighs its risk beside a build on the same table", () => {
  const build = buildCandidate("1", ["robot_id"], 5_000, { table: "public.robot_messages" });
  const plan = planSystemRun([prewarmLoad(2_000), build], options());
  assert.deepEqual(plan.actions.map((a) => a.candidate.finding.subject), [
    "index:public.robot_messages(robot_id)",
    "table:public.robot_messages@12:15",
  ]);
  assert.deepEqual(plan.rejected, []);
});
