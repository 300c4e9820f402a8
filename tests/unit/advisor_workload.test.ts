import assert from "node:assert/strict";
import { advisorDefaults, resolveAdvisorOptions } from "../../shared/advisor/options.ts";
import { selectWorkload, updatedColumns } from "../../shared/advisor/workload.ts";
import type { StatementDelta } from "../../shared/workload/workload.ts";

function delta(queryid: string, query: string | null, fields: Partial<StatementDelta> = {}): StatementDelta {
  return { queryid, role: "postgres", query, calls: 10, totalMs: 100, ...fields };
}

Deno.test("resolveAdvisorOptions() refuses a ratio out of range, naming it and the value", () => {
  assert.throws(
    () => resolveAdvisorOptions({ minSavingsRatio: 2 }),
    new RangeError("minSavingsRatio must be between 0 and 1: got 2"),
  );
});

Deno.test("resolveAdvisorOptions() fills in the defaults", () => {
  assert.deepEqual(resolveAdvisorOptions({}), advisorDefaults);
});

Deno.test("selectWorkload() leaves out and counts the optimizer's own statements, by text and by role", () => {
  const workload = selectWorkload([
    delta("1", "select * from robots where user_id = $1"),
    delta("2", "select optimizer.take_db_snapshot()"),
    delta("3", "select * from robots where id = $1", { role: "supabase_admin" }),
    delta("4", "select extensions.hypopg_reset()"),
  ], advisorDefaults);
  assert.deepEqual(workload.statements.map((s) => s.queryid), ["1"]);
  assert.equal(workload.excludedOwn, 3);
});

Deno.test("selectWorkload() ranks by total time and says why a statement is left out", () => {
  const workload = selectWorkload([
    delta("1", "select 1 from a where x = $1", { totalMs: 5 }),
    delta("2", "select 1 from b where x = $1", { totalMs: 50 }),
    delta("3", "select 1 from c where x = $1", { calls: 1, totalMs: 500 }),
  ], { ...advisorDefaults, maxStatements: 1 });
  assert.deepEqual(workload.statements.map((s) => s.queryid), ["2"]);
  assert.deepEqual(workload.rejected.map((r) => [r.subject, r.reason]), [
    ["statement:3", "1 calls over the window is below minCalls 2"],
    ["statement:1", "outside the top maxStatements 1 by total time"],
  ]);
});

Deno.test("selectWorkload() adds up one statement run by several roles", () => {
  const workload = selectWorkload([
    delta("1", "select 1 from a where x = $1", { role: "authenticated" }),
    delta("1", "select 1 from a where x = $1", { role: "anon" }),
  ], advisorDefaults);
  assert.deepEqual(workload.statements, [{
    queryid: "1",
    query: "select 1 from a where x = $1",
    calls: 20,
    totalMs: 200,
  }]);
});

Deno.test("selectWorkload() leaves out statements no index can serve", () => {
  const workload = selectWorkload(
    [delta("1", "set statement_timeout = $1"), delta("2", "begin")],
    advisorDefaults,
  );
  assert.deepEqual(workload.statements, []);
});

Deno.test("updatedColumns() reads the columns an UPDATE sets, by table", () => {
  assert.deepEqual(
    updatedColumns([
      { query: "update public.robots set name = $1, updated_at = now() where id = $2" },
      { query: "update counters set (hits, seen_at) = ($1, $2) where id = $3 returning id" },
      { query: "select 1" },
    ]),
    { "public.robots": ["name", "updated_at"], "public.counters": ["hits", "seen_at"] },
  );
});
