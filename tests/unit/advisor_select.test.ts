import assert from "node:assert/strict";
import { type Candidate, subjectOf } from "../../shared/advisor/candidates.ts";
import { advisorDefaults } from "../../shared/advisor/options.ts";
import {
  type CostedStatement,
  type Evaluate,
  selectIndexes,
  type TableWrites,
} from "../../shared/advisor/select.ts";

function candidate(keys: string[], statements = ["1"]): Candidate {
  const base = {
    schema: "public",
    table: "t",
    method: "btree" as const,
    keys: keys.map((sql) => ({ sql, desc: false })),
    include: [],
    where: null,
  };
  return { ...base, subject: subjectOf(base), columns: keys, leading: [keys[0]], statements, kind: "test" };
}

const statement: CostedStatement = {
  queryid: "1",
  calls: 100,
  totalMs: 1000,
  before: 1000,
  tables: ["public.t"],
  references: ["public.t.a", "public.t.b"],
};

const quiet: TableWrites = { inserts: 0, updates: 0, hotUpdates: 0, updatedColumns: [], indexes: 1 };

// A planner stand-in for the pure selection logic: the cheapest index present decides the cost.
function costs(table: Record<string, number>): Evaluate {
  return (indexes, statements) => {
    const cost = Math.min(1000, ...indexes.map((c) => table[c.subject] ?? 1000));
    return Promise.resolve({
      costs: new Map(statements.map((s) => [s, cost])),
      sizes: new Map(indexes.map((c) => [c.subject, 8 * 1024 * 1024])),
    });
  };
}

function select(
  candidates: Candidate[],
  evaluate: Evaluate,
  writes: TableWrites = quiet,
  bundles: string[][] = [],
) {
  return selectIndexes({
    statements: [statement],
    candidates,
    bundles,
    writes: { "public.t": writes },
    limits: { maxIndexesPerTable: 8, maxTotalIndexSizeMb: 1024 },
    evaluate,
    deadline: Number.POSITIVE_INFINITY,
  }, advisorDefaults);
}

Deno.test("selectIndexes() chooses the best index and drops the one it makes useless, saying so", async () => {
  const ab = candidate(["a", "b"]);
  const a = candidate(["a"]);
  const { chosen, rejected } = await select([a, ab], costs({ [ab.subject]: 10, [a.subject]: 100 }));
  assert.deepEqual(chosen.map((c) => c.candidate.subject), [ab.subject]);
  assert.deepEqual(rejected.map((r) => r.subject), [a.subject]);
  assert.match(rejected[0].reason, /makes no statement cheaper once index:public\.t\(a, b\) is chosen/);
});

Deno.test("selectIndexes() reports the saving as time × (1 − after / before)", async () => {
  const a = candidate(["a"]);
  const { chosen } = await select([a], costs({ [a.subject]: 250 }));
  assert.equal(chosen[0].savingMs, 750);
  assert.deepEqual(chosen[0].statements, [{
    queryid: "1",
    calls: 100,
    before: 1000,
    after: 250,
    savingMs: 750,
  }]);
});

Deno.test("selectIndexes() drops an index whose saving is below its write penalty", async () => {
  const a = candidate(["a"]);
  const writes = { ...quiet, inserts: 1_000_000 };
  const { chosen, rejected } = await select([a], costs({ [a.subject]: 250 }), writes);
  assert.deepEqual(chosen, []);
  assert.match(rejected[0].reason, /saving of 750 ms is smaller than its write penalty of 14000 ms/);
});

Deno.test("selectIndexes() keeps HOT updates: no index on a column updates change on a HOT table", async () => {
  const a = candidate(["a"]);
  const writes = { ...quiet, updates: 1000, hotUpdates: 900, updatedColumns: ["a"] };
  const { chosen, rejected } = await select([a], costs({ [a.subject]: 250 }), writes);
  assert.deepEqual(chosen, []);
  assert.match(
    rejected[0].reason,
    /\(a\) are set by the workload's updates, and 90 % of the table's 1000 updates/,
  );
});

Deno.test("selectIndexes() respects limits.maxIndexesPerTable, counting the table's indexes", async () => {
  const a = candidate(["a"]);
  const { chosen, rejected } = await select([a], costs({ [a.subject]: 250 }), { ...quiet, indexes: 8 });
  assert.deepEqual(chosen, []);
  assert.equal(rejected[0].reason, "public.t would have more than limits.maxIndexesPerTable 8 indexes");
});

Deno.test("selectIndexes() drops an index saving less than minSavingsRatio of its statements' time", async () => {
  const a = candidate(["a"]);
  const { rejected } = await select([a], costs({ [a.subject]: 950 }));
  assert.match(rejected[0].reason, /saving 5\.0 % .* below minSavingsRatio 25 %/);
});

/** A planner stand-in where `ab` (8 MB) costs 10 and `a` (1 MB) costs `aCost`. */
function sizedCosts(a: Candidate, ab: Candidate, aCost: number): Evaluate {
  return (indexes, statements) => {
    const cost = Math.min(1000, ...indexes.map((c) => (c === ab ? 10 : c === a ? aCost : 1000)));
    return Promise.resolve({
      costs: new Map(statements.map((s) => [s, cost])),
      sizes: new Map(indexes.map((c) => [c.subject, c === ab ? 8 * 1024 * 1024 : 1024 * 1024])),
    });
  };
}

Deno.test("selectIndexes() takes the smaller of two indexes whose gains the estimate cannot tell apart", async () => {
  const a = candidate(["a"]);
  const ab = candidate(["a", "b"]);
  const { chosen, rejected } = await select([ab, a], sizedCosts(a, ab, 12));
  assert.deepEqual(chosen.map((c) => c.candidate.subject), [a.subject]);
  assert.deepEqual(rejected.map((r) => r.subject), [ab.subject]);
  assert.match(rejected[0].reason, /once index:public\.t\(a\) is chosen is below minSavingsRatio/);
});

Deno.test("selectIndexes() takes the larger index when its gain is clearly the better one", async () => {
  const a = candidate(["a"]);
  const ab = candidate(["a", "b"]);
  const { chosen } = await select([a, ab], sizedCosts(a, ab, 200));
  assert.deepEqual(chosen.map((c) => c.candidate.subject), [ab.subject]);
});

Deno.test("selectIndexes() chooses a bundle of indexes that only lower the cost together", async () => {
  const a = candidate(["a"]);
  const b = candidate(["b"]);
  // a BitmapOr: only both indexes together spare the sequential scan
  const evaluate: Evaluate = (indexes, statements) =>
    Promise.resolve({
      costs: new Map(statements.map((s) => [s, indexes.length === 2 ? 100 : 1000])),
      sizes: new Map(indexes.map((c) => [c.subject, 1024])),
    });
  const { chosen, rejected } = await select([a, b], evaluate, quiet, [[a.subject, b.subject]]);
  assert.deepEqual(chosen.map((c) => c.candidate.subject), [a.subject, b.subject]);
  assert.deepEqual(rejected.map((r) => [r.subject, r.reason]), [
    [a.subject, "the planner makes no statement of the workload cheaper with it"],
    [b.subject, "the planner makes no statement of the workload cheaper with it"],
  ]);
});

Deno.test("selectIndexes() drops a candidate that could not be evaluated, with the reason", async () => {
  const a = candidate(["a"]);
  const evaluate: Evaluate = (indexes, statements) =>
    Promise.resolve({
      costs: new Map(statements.map((s) => [s, 1000])),
      sizes: new Map(),
      failures: new Map(indexes.map((c) => [c.subject, "its trial build failed: lock timeout"])),
    });
  const { chosen, rejected } = await select([a], evaluate);
  assert.deepEqual(chosen, []);
  assert.deepEqual(rejected, [{
    rule: "index.select",
    subject: a.subject,
    reason: "its trial build failed: lock timeout",
  }]);
});
