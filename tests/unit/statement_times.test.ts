import assert from "node:assert/strict";
import {
  heaviestStatements,
  type StatementRun,
  statementTimesMarkdown,
} from "../../bench/harness/statement_times.ts";

const list = "select * from public.robots where user_id = $1 order by created_at desc limit $2";
const chat = "select * from public.robot_messages where robot_id = $1 order by created_at desc";
const insert = "insert into public.robot_messages (robot_id, body) values ($1, $2)";

function run(scenario: string, statements: [string, number, number][]): StatementRun {
  return { scenario, statements: statements.map(([query, calls, totalMs]) => ({ query, calls, totalMs })) };
}

const runs: StatementRun[] = [
  run("baseline", [[list, 100, 5_000], [chat, 30, 900]]),
  run("baseline", [[list, 100, 7_000], [chat, 30, 1_100]]),
  run("optimized", [[list, 100, 300], [chat, 30, 20], [insert, 10, 50]]),
  run("optimized", [[list, 100, 500], [chat, 30, 40]]),
];

Deno.test("heaviestStatements() ranks by the chosen scenario's median time and shows every scenario's", () => {
  const rows = heaviestStatements(runs, ["baseline", "optimized"], "optimized", 10);
  assert.deepEqual(rows.map((r) => r.query), [list, chat, insert]);
  assert.deepEqual(rows[0].byScenario, {
    baseline: { totalMs: 6_000, calls: 100 },
    optimized: { totalMs: 400, calls: 100 },
  });
});

Deno.test("heaviestStatements() counts a repeat where a statement did not run as 0", () => {
  const [, , insertRow] = heaviestStatements(runs, ["baseline", "optimized"], "optimized", 10);
  assert.deepEqual(insertRow.byScenario.optimized, { totalMs: 25, calls: 5 });
  assert.deepEqual(insertRow.byScenario.baseline, { totalMs: 0, calls: 0 });
});

Deno.test("heaviestStatements() keeps the heaviest `limit`", () => {
  assert.deepEqual(heaviestStatements(runs, ["baseline", "optimized"], "optimized", 1).map((r) => r.query), [
    list,
  ]);
});

Deno.test("statementTimesMarkdown() shortens statements and escapes the table's pipes", () => {
  const rows = heaviestStatements(
    [run("optimized", [["select a || b from public.robots", 2, 10.4]])],
    [
      "optimized",
    ],
    "optimized",
    10,
  );
  assert.deepEqual(statementTimesMarkdown(rows, ["optimized"], 20), [
    "| statement | optimized |",
    "| --- | ---: |",
    "| `select a \\|\\| b from…` | 10 ms (2) |",
  ]);
});
