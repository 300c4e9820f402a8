/**
 * The RLS and query shape analyzers on the reference app's own schema and policies
 * (bench/reference_app/schema/00_base.sql: owners see their rows, anyone sees public, non-deleted robots),
 * loaded at the small scale into schema public, as the bench uses it. Each test loads the app and drops it,
 * so no other test sees its tables.
 */
import assert from "node:assert/strict";
import { loadReferenceData } from "../../bench/reference_app/data/load.ts";
import { dropReferenceApp } from "../../bench/reference_app/schema/mod.ts";
import { parseConfig } from "../../shared/config/config.ts";
import { createQueryShapeAnalyzer } from "../../shared/query_shape/query_shape_analyzer.ts";
import type { AnalysisContext } from "../../shared/recommendations/analyzer.ts";
import { createRlsAnalyzer } from "../../shared/rls/rls_analyzer.ts";
import { type Sql, withSql } from "../support/metric_store_db.ts";

const loadOptions = {
  seed: 7,
  scale: "small" as const,
  now: "2025-03-04T12:00:00.000Z",
  variant: "pk-only" as const,
};

/** The dashboard list as bench/reference_app/functions/robots/store.ts sends it, as pg_stat_statements keeps it. */
const dashboardList = "select * from public.robots " +
  "where (user_id = $1 or (is_public and deleted_at is null)) and is_active = true and deleted_at is null " +
  "order by created_at desc limit $2";

async function withReferenceApp(body: (sql: Sql) => Promise<void>): Promise<void> {
  await withSql(async (sql) => {
    try {
      await loadReferenceData(sql, loadOptions);
      await body(sql);
    } finally {
      await dropReferenceApp(sql);
    }
  });
}

function context(sql: Sql, window: { from: Date; to: Date }): AnalysisContext {
  return { sql, now: new Date(), config: parseConfig({}), window, deadline: Date.now() + 120_000 };
}

async function policyTexts(sql: Sql): Promise<string[]> {
  const rows = await sql`
    select polname || ': ' || coalesce(pg_get_expr(polqual, polrelid), '') || ' / ' ||
      coalesce(pg_get_expr(polwithcheck, polrelid), '') as text
    from pg_policy where polrelid in ('public.robots'::regclass, 'public.robot_messages'::regclass)
    order by 1`;
  return rows.map((row) => row.text);
}

Deno.test("on the reference app, both owner policies' per-row auth.uid() is measured and nothing persists", async () => {
  await withReferenceApp(async (sql) => {
    const before = await policyTexts(sql);
    const now = new Date();
    const result = await createRlsAnalyzer({ schemas: ["public"] }).analyze(
      context(sql, { from: new Date(now.getTime() - 3_600_000), to: now }),
    );
    const perRow = result.findings.filter((f) => f.rule === "rls.per-row-call");
    assert.deepEqual(perRow.map((f) => f.subject).sort(), [
      'policy:public.robot_messages."owners manage their messages"',
      'policy:public.robots."owners manage their robots"',
    ], JSON.stringify(result.rejected));
    for (const finding of perRow) {
      assert.ok(finding.gain!.value > 0);
      console.log(`  ${finding.title}`);
    }
    assert.deepEqual(await policyTexts(sql), before, "the analysis changed a policy");
  });
});

Deno.test("on the reference app, merging robots' two select policies is measured and robots.user_id is indexed", async () => {
  await withReferenceApp(async (sql) => {
    const now = new Date();
    const result = await createRlsAnalyzer({ schemas: ["public"] }).analyze(
      context(sql, { from: new Date(now.getTime() - 3_600_000), to: now }),
    );
    // Postgres ORs permissive policies already, so the merge may gain too little to report: either way the
    // figures are measured ones
    const subject = "policies:public.robots(anyone reads public robots,owners manage their robots)";
    const reported = result.findings.find((f) => f.subject === subject);
    const passed = result.rejected.find((r) => r.subject === subject);
    const figures = /PostgREST's list of public\.robots: [\d.]+ ms → [\d.]+ ms/;
    assert.ok(
      reported
        ? figures.test(reported.detail) && reported.gain?.kind === "measured"
        : figures.test(passed!.reason),
      JSON.stringify(reported ?? passed),
    );
    console.log(`  overlap: ${reported?.detail ?? passed!.reason}`);
    assert.ok(
      result.rejected.some((r) =>
        r.subject === "column:public.robots.user_id" &&
        r.reason === "index robots_user_id_name_key leads on user_id"
      ),
      JSON.stringify(result.rejected),
    );
  });
});

Deno.test("on the reference app, the dashboard list's select * is measured without its wide columns, code among them", async () => {
  await withReferenceApp(async (sql) => {
    const [{ user_id }] = await sql`select user_id from public.robots limit 1`;
    const [{ from }] = await sql`select clock_timestamp() as from`;
    await sql`select optimizer.take_db_snapshot()`;
    for (let i = 0; i < 5; i++) await sql.unsafe(dashboardList, [user_id, 100]);
    await sql`select optimizer.take_db_snapshot()`;
    const [{ to }] = await sql`select clock_timestamp() as to`;
    // the small scale's list returns tens of rows, not the medium scale's hundred: any gain counts
    const anyGain = { minGainMs: 0, minGainRatio: 0 };
    const result = await createQueryShapeAnalyzer(anyGain).analyze(context(sql, { from, to }));
    const finding = result.findings.find((f) => f.detail.includes("from public.robots where (user_id = $1"));
    assert.ok(finding, JSON.stringify(result.rejected));
    assert.match(finding.title, /returns code/);
    assert.ok(finding.gain!.value > 0);
    console.log(`  ${finding.title}`);
  });
});
