/**
 * The row level security analyzer against the stack's Postgres, on a schema each test creates and drops: a
 * table of 300,000 rows owned by 100 users under `auth.uid() = user_id`, which is large enough for the per-row
 * call to show in EXPLAIN ANALYZE.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../shared/config/config.ts";
import { createRlsAnalyzer } from "../../shared/rls/rls_analyzer.ts";
import type { AnalysisResult } from "../../shared/recommendations/analyzer.ts";
import { connect, type Sql } from "../support/metric_store_db.ts";

interface Fixture {
  sql: Sql;
  schema: string;
}

async function withFixture(
  body: (fixture: Fixture) => Promise<void>,
  { rows = 100_000, policy = "auth.uid() = user_id" } = {},
): Promise<void> {
  const sql = connect();
  const schema = `rls_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  try {
    await sql.unsafe(`
      create schema ${schema};
      grant usage on schema ${schema} to authenticated;
      create table ${schema}.notes (
        id bigint generated always as identity primary key,
        user_id uuid not null,
        title text not null,
        is_public boolean not null default false,
        created_at timestamptz not null default now()
      );
      insert into ${schema}.notes (user_id, title, is_public, created_at)
      select ('00000000-0000-4000-8000-' || lpad((g % 100)::text, 12, '0'))::uuid, 'note ' || g, g % 50 = 0,
        now() - g * interval '1 second'
      from generate_series(1, ${rows}) g;
      analyze ${schema}.notes;
      grant select, insert, update, delete on ${schema}.notes to authenticated;
      alter table ${schema}.notes enable row level security;
      create policy "owners read their notes" on ${schema}.notes for all to authenticated
        using (${policy}) with check (${policy});`);
    await body({ sql, schema });
  } finally {
    await sql.unsafe(`drop schema if exists ${schema} cascade`);
    await sql.end();
  }
}

async function analyze(sql: Sql, schema: string, window?: { from: Date; to: Date }): Promise<AnalysisResult> {
  const now = new Date();
  return await createRlsAnalyzer({ schemas: [schema] }).analyze({
    sql,
    now,
    config: parseConfig({}),
    window: window ?? { from: new Date(now.getTime() - 3_600_000), to: now },
    deadline: Date.now() + 120_000,
  });
}

async function policyText(sql: Sql, schema: string): Promise<{ using: string; check: string }> {
  const [row] = await sql`
    select pg_get_expr(polqual, polrelid) as using, pg_get_expr(polwithcheck, polrelid) as check
    from pg_policy where polrelid = ${`${schema}.notes`}::regclass`;
  return row as unknown as { using: string; check: string };
}

Deno.test("createRlsAnalyzer() measures a positive gain for wrapping auth.uid() and leaves the policy unchanged", async () => {
  await withFixture(async ({ sql, schema }) => {
    const original = await policyText(sql, schema);
    const result = await analyze(sql, schema);
    const finding = result.findings.find((f) => f.rule === "rls.per-row-call");
    assert.ok(finding, `no per-row finding: ${JSON.stringify(result.rejected)}`);
    assert.equal(finding.gain?.kind, "measured");
    assert.ok(finding.gain!.value > 0, `gain ${finding.gain!.value}`);
    assert.equal(finding.action.kind, "sql");
    if (finding.action.kind !== "sql") return;
    assert.match(finding.action.sql, /using \(\(\(select auth\.uid\(\)\) = user_id\)\)/);
    assert.match(finding.action.rollback, /using \(\(auth\.uid\(\) = user_id\)\)/);
    assert.equal(finding.autoApplicable, true, "wrapping a STABLE call preserves the policy's meaning");
    console.log(`  per-row auth.uid(): ${finding.title}`);
    assert.deepEqual(await policyText(sql, schema), original, "the analysis changed the policy");
  });
});

Deno.test("the per-row finding's DDL wraps the call and its rollback restores the original policy", async () => {
  await withFixture(async ({ sql, schema }) => {
    const original = await policyText(sql, schema);
    const result = await analyze(sql, schema);
    const action = result.findings.find((f) => f.rule === "rls.per-row-call")?.action;
    assert.ok(action?.kind === "sql", "a per-row finding with SQL");
    await sql.unsafe(action.sql);
    assert.deepEqual(await policyText(sql, schema), {
      using: "(( SELECT auth.uid() AS uid) = user_id)",
      check: "(( SELECT auth.uid() AS uid) = user_id)",
    });
    await sql.unsafe(action.rollback);
    assert.deepEqual(await policyText(sql, schema), original);
  });
});

Deno.test("a policy already calling (select auth.uid()) gets no per-row finding, and says why", async () => {
  await withFixture(async ({ sql, schema }) => {
    const result = await analyze(sql, schema);
    assert.equal(result.findings.filter((f) => f.rule === "rls.per-row-call").length, 0);
    const reasons = result.rejected.filter((r) => r.rule === "rls.per-row-call").map((r) => r.reason);
    assert.ok(
      reasons.some((r) => r.includes("already evaluated once per statement")),
      JSON.stringify(reasons),
    );
  }, { rows: 1_000, policy: "(select auth.uid()) = user_id" });
});

Deno.test("an unindexed policy column is reported with the gain of the index measured, and left unindexed", async () => {
  await withFixture(async ({ sql, schema }) => {
    const result = await analyze(sql, schema);
    const finding = result.findings.find((f) => f.rule === "rls.unindexed-policy-column");
    assert.ok(finding, `no index finding: ${JSON.stringify(result.rejected)}`);
    assert.equal(finding.subject, `column:${schema}.notes.user_id`);
    assert.ok(finding.gain!.value > 0);
    console.log(`  unindexed user_id: ${finding.title}`);
    const [{ count }] = await sql`
      select count(*)::int as count from pg_index where indrelid = ${`${schema}.notes`}::regclass`;
    assert.equal(count, 1, "only the primary key: the measured index did not persist");
  });
});

/** Runs each statement three times between two snapshots and analyzes that window. */
async function analyzeWorkload(sql: Sql, schema: string, statements: string[]): Promise<AnalysisResult> {
  const [{ from }] = await sql`select clock_timestamp() as from`;
  await sql`select optimizer.take_db_snapshot()`;
  for (const statement of statements) {
    for (let i = 0; i < 3; i++) await sql.unsafe(statement, ["00000000-0000-4000-8000-000000000007", 1]);
  }
  await sql`select optimizer.take_db_snapshot()`;
  const [{ to }] = await sql`select clock_timestamp() as to`;
  return await analyze(sql, schema, { from, to });
}

Deno.test("workload statements on the policy's table are measured with parameters drawn from the data", async () => {
  await withFixture(async ({ sql, schema }) => {
    const result = await analyzeWorkload(sql, schema, [
      `select * from ${schema}.notes where user_id = $1 order by created_at desc limit $2`,
    ]);
    const finding = result.findings.find((f) => f.rule === "rls.per-row-call");
    assert.ok(finding, JSON.stringify(result.rejected));
    assert.match(
      finding.detail,
      /query:-?\d+ \(select \* from \w+\.notes where user_id = \$1[^)]*\): [\d.]+ ms → [\d.]+ ms \(3 calls in the window\)/,
    );
  });
});

Deno.test("a workload statement that fails on the drawn parameters is dropped with the error, the rest measured", async () => {
  await withFixture(async ({ sql, schema }) => {
    // LIMIT takes the page size (100) inside a scalar sub-select, which then returns more than one row
    const result = await analyzeWorkload(sql, schema, [
      `select * from ${schema}.notes where id = (select id from ${schema}.notes where user_id = $1 limit $2)`,
    ]);
    assert.ok(result.findings.some((f) => f.rule === "rls.per-row-call"), JSON.stringify(result.rejected));
    const dropped = result.rejected.filter((r) => r.rule === "rls.statement");
    assert.ok(
      dropped.some((r) => /more than one row returned by a subquery/.test(r.reason)),
      JSON.stringify(dropped),
    );
  });
});
