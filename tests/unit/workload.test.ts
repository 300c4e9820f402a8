import assert from "node:assert/strict";
import { isOwnStatement, projectWorkload, type StatementDelta } from "../../shared/workload/workload.ts";
import { ownStatement } from "../../shared/sql/own_statement.ts";

const delta = (over: Partial<StatementDelta>): StatementDelta => ({
  queryid: "1",
  role: "authenticated",
  query: "select * from public.robots where user_id = $1",
  calls: 10,
  totalMs: 100,
  ...over,
});

Deno.test("projectWorkload() adds up one statement run by several roles", () => {
  const workload = projectWorkload([
    delta({ role: "authenticated" }),
    delta({ role: "anon", calls: 5, totalMs: 50 }),
  ]);
  assert.deepEqual(workload.statements, [{
    queryid: "1",
    query: "select * from public.robots where user_id = $1",
    calls: 15,
    totalMs: 150,
  }]);
});

Deno.test("projectWorkload() orders statements by execution time, heaviest first", () => {
  const workload = projectWorkload([
    delta({ queryid: "1", totalMs: 10 }),
    delta({ queryid: "2", totalMs: 90 }),
  ]);
  assert.deepEqual(workload.statements.map((s) => s.queryid), ["2", "1"]);
});

Deno.test("projectWorkload() leaves out and counts the suite's statements, by role and by text", () => {
  const workload = projectWorkload([
    delta({ queryid: "1" }),
    delta({ queryid: "2", role: "supabase_admin" }),
    delta({ queryid: "3", query: "select optimizer.rollup_metrics($1)" }),
    delta({ queryid: "4", query: "select * from hypopg_create_index($1)" }),
  ]);
  assert.deepEqual(workload.statements.map((s) => s.queryid), ["1"]);
  assert.equal(workload.excluded, 3);
});

Deno.test("projectWorkload() lists the statements whose text no snapshot kept", () => {
  const workload = projectWorkload([delta({ queryid: "7", query: null })]);
  assert.deepEqual(workload.withoutText, ["7"]);
  assert.deepEqual(workload.statements, []);
});

Deno.test("isOwnStatement() does not take a table named like the suite's schema for it", () => {
  assert.equal(
    isOwnStatement({ role: "authenticated", query: "select * from public.optimizer_runs" }, []),
    false,
  );
});

Deno.test("isOwnStatement() takes a statement led by the suite's tag for the suite's, whatever its role", () => {
  const measured = ownStatement(
    "select count(*) as rows from (select * from public.robots where user_id = $1) r",
  );
  assert.equal(isOwnStatement({ role: "postgres", query: measured }, []), true);
  assert.equal(
    isOwnStatement({ role: "authenticated", query: ownStatement("explain (analyze) select 1") }, []),
    true,
  );
});

Deno.test("isOwnStatement() does not take the tag for the suite's anywhere but at the start", () => {
  const query = `select * from public.robots where name = '${ownStatement("x")}'`;
  assert.equal(isOwnStatement({ role: "postgres", query }, []), false);
});
