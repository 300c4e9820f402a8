/**
 * The warm budget's analyzer on the real store: a warmer run's plan that left pings out for the budget, the
 * pings it sent, and the function's rolled-up requests, in a window of the past that no other test writes to.
 */
import assert from "node:assert/strict";
import { budgetedFunctions, createWarmBudgetAnalyzer, parseConfig } from "../../shared/mod.ts";
import { type Sql, uniqueTarget, withSql } from "../support/metric_store_db.ts";

const from = new Date("2021-03-01T10:00:00Z");
const to = new Date("2021-03-01T11:00:00Z");
const at = (minute: number) => new Date(from.getTime() + minute * 60_000);

/** A warmer run at 10:05 that left `leftOut` pings of `fn` out (chance 0.5 each) and sent 10 cold and 10 warm. */
async function seed(sql: Sql, fn: string, leftOut: number): Promise<string> {
  const skipped = [
    ...Array.from(
      { length: leftOut },
      () => ({ fn, reason: "over limits.warmPingsPerHour: …", budgetChance: 0.5 }),
    ),
    { fn, reason: "backed off after failed pings" },
  ];
  const [{ id }] = await sql`
    insert into optimizer.runs (module, trigger, status, started_at, finished_at, summary)
    values ('warmer', 'cron', 'succeeded', ${at(5)}, ${at(5)}, ${sql.json({ skipped })})
    returning id::text`;
  for (let i = 0; i < 20; i++) {
    const cold = i < 10;
    await sql`
      insert into optimizer.warm_pings
        (run_id, function_name, kind, planned_at, expected_cold_starts_avoided, reason, sent_at, status,
         cold_start, latency_ms)
      values (${id}, ${fn}, 'refresh', ${at(6 + i)}, 0.5, 'test', ${at(6 + i)}, 200, ${cold}, ${
      cold ? 100 : 10
    })`;
  }
  await sql`
    insert into optimizer.metric_rollups (minute, system, target, kind, count, cold_starts)
    values (${at(10)}, 'edge', ${fn}, 'request', 100, 15)`;
  return id;
}

async function analyze(sql: Sql) {
  return await createWarmBudgetAnalyzer().analyze({
    sql,
    now: to,
    config: parseConfig({ modules: { warmer: true }, limits: { warmPingsPerHour: 120 } }),
    window: { from, to },
    deadline: Date.now() + 60_000,
  });
}

Deno.test("the warm budget's analyzer adds up what the runs left out and measures a boot on the pings", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("warm-budget");
    const runId = await seed(sql, fn, 20);
    try {
      const [finding] = (await analyze(sql)).findings;
      assert.equal(finding?.rule, "warm.budget-short");
      assert.deepEqual(finding.action, { kind: "config", patch: { limits: { warmPingsPerHour: 140 } } });
      // 20 pings at 0.5: 10 of the 15 cold starts, each 90 ms
      assert.equal(finding.gain?.value, 900);
      assert.deepEqual(budgetedFunctions(finding)?.functions.find((f) => f.fn === fn), {
        fn,
        requests: 100,
        coldStarts: 15,
        expectedAvoided: 10,
      });
    } finally {
      await sql`delete from optimizer.runs where id = ${runId}`;
      await sql`delete from optimizer.metric_rollups where target = ${fn}`;
    }
  });
});

Deno.test("the warm budget's analyzer reads no skip for another reason as left out for the budget", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("warm-budget-none");
    const runId = await seed(sql, fn, 0);
    try {
      const result = await analyze(sql);
      assert.deepEqual(result.findings, []);
      assert.equal(result.rejected[0].reason, "0 pings left out for the budget is below minLeftOutPings 10");
    } finally {
      await sql`delete from optimizer.runs where id = ${runId}`;
      await sql`delete from optimizer.metric_rollups where target = ${fn}`;
    }
  });
});
