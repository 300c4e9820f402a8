/**
 * The query shape analyzer against the stack's Postgres, on a schema each test creates and drops: documents
 * with a 6 KB body (TOASTed) and a short title, read by statements recorded in the snapshots' workload.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../shared/config/config.ts";
import { createQueryShapeAnalyzer } from "../../shared/query_shape/query_shape_analyzer.ts";
import type { AnalysisResult } from "../../shared/recommendations/analyzer.ts";
import { connect, type Sql } from "../support/metric_store_db.ts";

const owner = "00000000-0000-4000-8000-000000000007";

/** Creates the schema, runs `statements` three times each between two snapshots, and analyzes that window. */
async function analyzeWorkload(
  statements: (schema: string) => { text: string; params: (string | number)[] }[],
): Promise<{ result: AnalysisResult; schema: string }> {
  const sql: Sql = connect();
  const schema = `shape_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  try {
    await sql.unsafe(`
      create schema ${schema};
      create table ${schema}.docs (
        id bigint generated always as identity primary key,
        user_id uuid not null,
        title text not null,
        body text not null,
        created_at timestamptz not null default now()
      );
      insert into ${schema}.docs (user_id, title, body, created_at)
      select ('00000000-0000-4000-8000-' || lpad((g % 50)::text, 12, '0'))::uuid, 'doc ' || g,
        (select string_agg(md5(g::text || '.' || i::text), '') from generate_series(1, 200) i),
        now() - g * interval '1 minute'
      from generate_series(1, 5000) g;
      analyze ${schema}.docs;`);
    const [{ from }] = await sql`select clock_timestamp() as from`;
    await sql`select optimizer.take_db_snapshot()`;
    for (const statement of statements(schema)) {
      for (let i = 0; i < 3; i++) await sql.unsafe(statement.text, statement.params);
    }
    await sql`select optimizer.take_db_snapshot()`;
    const [{ to }] = await sql`select clock_timestamp() as to`;
    const result = await createQueryShapeAnalyzer().analyze({
      sql,
      now: new Date(),
      config: parseConfig({}),
      window: { from, to },
      deadline: Date.now() + 120_000,
    });
    return { result, schema };
  } finally {
    await sql.unsafe(`drop schema if exists ${schema} cascade`);
    await sql.end();
  }
}

Deno.test("createQueryShapeAnalyzer() measures select * without its TOASTed column and lists the narrow columns", async () => {
  const { result, schema } = await analyzeWorkload((schema) => [{
    text: `select * from ${schema}.docs where user_id = $1 order by created_at desc limit $2`,
    params: [owner, 100],
  }]);
  const finding = result.findings.find((f) => f.rule === "query-shape.wide-columns");
  assert.ok(finding, JSON.stringify(result.rejected.filter((r) => r.reason.includes(schema))));
  assert.equal(finding.gain?.kind, "measured");
  assert.ok(finding.gain!.value > 0);
  assert.equal(finding.autoApplicable, false);
  assert.equal(finding.action.kind, "guidance");
  if (finding.action.kind === "guidance") {
    assert.match(finding.action.text, /select id, user_id, title, created_at from/);
    assert.match(finding.action.text, /fetch body only/);
  }
  console.log(`  ${finding.title}`);
});

Deno.test("a statement selecting only narrow columns is passed over with the widest column's size", async () => {
  const { result } = await analyzeWorkload((schema) => [{
    text: `select id, title from ${schema}.docs where user_id = $1 limit $2`,
    params: [owner, 100],
  }]);
  assert.equal(result.findings.length, 0);
  const reasons = result.rejected.map((r) => r.reason);
  assert.ok(
    reasons.some((r) => /no selected column averages 512 bytes or more \(widest: title, \d+ bytes\)/.test(r)),
    JSON.stringify(reasons),
  );
});

Deno.test("a join is passed over: only single-table reads are measured", async () => {
  const { result } = await analyzeWorkload((schema) => [{
    text: `select * from ${schema}.docs a join ${schema}.docs b on a.id = b.id where a.user_id = $1 limit $2`,
    params: [owner, 10],
  }]);
  assert.equal(result.findings.length, 0);
  assert.ok(result.rejected.some((r) => r.reason === "has JOIN: only single-table reads are measured"));
});

Deno.test("the suite's own statements are left out of the workload and counted", async () => {
  const { result } = await analyzeWorkload(() => []);
  assert.ok(!result.rejected.some((r) => /optimizer\./.test(r.reason)));
  const note = result.notes.find((n) => n.startsWith("workload:"));
  assert.match(note ?? "", /workload: \d+ statements considered, [1-9]\d* of the suite's own left out/);
});
