/**
 * The check of a raised warm budget on the real store: a `warm.budget-short` finding applied through the real
 * config (its patch written, its rollback stored), the warmed function's requests rolled up since, and the
 * verification measuring the cold starts per request avoided, keeping the budget or rolling it back.
 */
import assert from "node:assert/strict";
import {
  analyzeWarmBudget,
  type ConfigAccess,
  createCheckStore,
  createStatusStore,
  parseConfig,
  verifyAppliedActions,
} from "../../shared/mod.ts";
import { uniqueTarget, withSql } from "../support/metric_store_db.ts";
import { onlyFindings, withAppliedFinding } from "../support/applied_findings.ts";

const HOUR = 3_600_000;

/**
 * A finding about `fn` (100 requests, 20 cold starts, a boot of 90 ms) applied half an hour ago, and `fn`'s
 * requests since: 100 of which `coldStartsSince` started cold; `body` gets the verification's checks of it.
 */
async function withAppliedBudget(
  coldStartsSince: number,
  body: (
    checks: Awaited<ReturnType<typeof verifyAppliedActions>>["checks"],
    budgetNow: () => Promise<number>,
    before: number,
  ) => Promise<void>,
): Promise<void> {
  const fn = uniqueTarget("warm-budget-check");
  const budgetOf = async (config: ConfigAccess) => (await config.readConfig()).config.limits.warmPingsPerHour;
  const before = await withSql((sql) => budgetOf(createStatusStore(sql)));
  const now = Date.now();
  const [finding] = analyzeWarmBudget(
    {
      window: { from: new Date(now - 2 * HOUR).toISOString(), to: new Date(now - HOUR).toISOString() },
      functions: [{ fn, requests: 100, coldStarts: 20, leftOutPings: 20, leftOutChance: 10 }],
      pings: { coldPings: 10, coldMeanMs: 100, warmPings: 10, warmMeanMs: 10 },
    },
    parseConfig({ modules: { warmer: true }, limits: { warmPingsPerHour: before } }),
  ).findings;
  await withAppliedFinding("verify-warm-budget-test", finding, async ({ sql, id, config, findings }) => {
    try {
      await sql`
        insert into optimizer.metric_rollups (minute, system, target, kind, count, cold_starts)
        values (pg_catalog.date_trunc('minute', optimizer.clock_at(now())) - interval '10 minutes', 'edge', ${fn},
                'request', 100, ${coldStartsSince})`;
      const ours = onlyFindings(createCheckStore(sql), () => Promise.resolve(new Set([id])));
      const { checks } = await verifyAppliedActions({ checks: ours, findings, config }, "test");
      await body(checks, () => budgetOf(config), before);
    } finally {
      await sql`delete from optimizer.metric_rollups where target = ${fn}`;
    }
  });
}

Deno.test("verification keeps a raised warm budget whose pings avoided cold starts, measured per request", async () => {
  await withAppliedBudget(5, async ([check], budgetNow, before) => {
    assert.equal(check.kind, "warm-budget");
    assert.equal(check.verdict, "kept", check.reason);
    // 20 % → 5 % of 100 requests: 15 boots of 90 ms
    assert.equal(check.measured?.value, 1350);
    assert.equal(check.estimate.value, 900);
    assert.equal(check.relativeError, 0.333);
    assert.ok(await budgetNow() > before, "the raised budget stays");
  });
});

Deno.test("verification rolls back a raised warm budget whose pings avoided no cold starts", async () => {
  await withAppliedBudget(25, async ([check], budgetNow, before) => {
    assert.equal(check.verdict, "unused", check.reason);
    assert.equal(check.rolledBack, true);
    assert.match(check.reason, /^rolled back: the pings the raised budget bought avoided no cold starts/);
    assert.equal(await budgetNow(), before);
  });
});
