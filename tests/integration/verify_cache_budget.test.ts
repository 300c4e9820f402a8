/**
 * The check of a raised cache budget on the real store: a `cache.evictions-over-budget` finding applied through
 * the real config (its patch written, its rollback stored), the namespace's lookups rolled up before and since,
 * and the verification measuring the hit rate gained per lookup, keeping the budget or rolling it back.
 */
import assert from "node:assert/strict";
import {
  cacheBudgetRule,
  type ConfigAccess,
  createCheckStore,
  createFinding,
  createStatusStore,
  estimatedGain,
  verifyAppliedActions,
} from "../../shared/mod.ts";
import { uniqueTarget, withSql } from "../support/metric_store_db.ts";
import { onlyFindings, withAppliedFinding } from "../support/applied_findings.ts";

const HOUR = 3_600_000;

/**
 * A finding about namespace `ns` (hit rate 0.6 over 1000 lookups an hour or two ago, estimated to gain 0.1)
 * applied half an hour ago, and `since` lookups since; `body` gets the verification's checks of it.
 */
async function withAppliedBudget(
  since: { hits: number; misses: number },
  body: (
    checks: Awaited<ReturnType<typeof verifyAppliedActions>>["checks"],
    budgetNow: () => Promise<number>,
    before: number,
  ) => Promise<void>,
): Promise<void> {
  const ns = uniqueTarget("cache-budget-check");
  const budgetOf = async (config: ConfigAccess) =>
    (await config.readConfig()).config.limits.cacheSizeBudgetMb;
  const before = await withSql((sql) => budgetOf(createStatusStore(sql)));
  const now = Date.now();
  const window = { from: new Date(now - 2 * HOUR), to: new Date(now - HOUR) };
  const finding = createFinding({
    rule: cacheBudgetRule,
    system: "cache",
    subject: `cache:${ns}`,
    severity: "warning",
    title: `Cache ${ns}: evictions over budget`,
    detail: "test",
    evidence: {
      series: [`optimizer.metric_rollups(cache/${ns}/lookup)`],
      windows: [{ from: window.from.toISOString(), to: window.to.toISOString() }],
      statistic: { name: "evictions per lookup", value: 0.2, unit: "ratio" },
    },
    gain: estimatedGain(0.1, "hit rate", "test model"),
    action: { kind: "config", patch: { limits: { cacheSizeBudgetMb: Math.min(256, before * 2) } } },
    autoApplicable: false,
  });
  await withAppliedFinding("verify-cache-budget-test", finding, async ({ sql, id, config, findings }) => {
    try {
      await sql`
        insert into optimizer.metric_rollups (minute, system, target, kind, count, hits, misses)
        values (${new Date(now - 90 * 60_000)}, 'cache', ${ns}, 'lookup', 1000, 600, 400),
               (pg_catalog.date_trunc('minute', optimizer.clock_at(now())) - interval '10 minutes', 'cache', ${ns},
                'lookup', ${since.hits + since.misses}, ${since.hits}, ${since.misses})`;
      const ours = onlyFindings(createCheckStore(sql), () => Promise.resolve(new Set([id])));
      const { checks } = await verifyAppliedActions({ checks: ours, findings, config }, "test");
      await body(checks, () => budgetOf(config), before);
    } finally {
      await sql`delete from optimizer.metric_rollups where target = ${ns}`;
    }
  });
}

Deno.test("verification keeps a raised cache budget that bought hits, measured per lookup", async () => {
  await withAppliedBudget({ hits: 160, misses: 40 }, async ([check], budgetNow, before) => {
    assert.equal(check.kind, "cache-budget");
    assert.equal(check.verdict, "kept", check.reason);
    // 60 % → 80 %
    assert.equal(check.measured?.value, 0.2);
    assert.equal(check.relativeError, 0.5);
    assert.ok(await budgetNow() > before, "the raised budget stays");
  });
});

Deno.test("verification rolls back a raised cache budget that bought no hits", async () => {
  await withAppliedBudget({ hits: 110, misses: 90 }, async ([check], budgetNow, before) => {
    assert.equal(check.verdict, "unused", check.reason);
    assert.equal(check.rolledBack, true);
    assert.match(check.reason, /^rolled back: the raised budget bought no hits/);
    assert.equal(await budgetNow(), before);
  });
});
