/**
 * The statements the suite runs to measure a project's statements (EXPLAIN ANALYZE runs, rows sampled for
 * parameters and widths) reach pg_stat_statements led by the suite's tag, so the workload the analyzers read
 * back leaves them out; the project's own run of the same statement stays in.
 */
import assert from "node:assert/strict";
import { stackEnv } from "../support/env.ts";
import { withSql } from "../support/metric_store_db.ts";
import { createSql } from "../../shared/db/client.ts";
import { inRolledBackTransaction } from "../../shared/db/rolled_back.ts";
import { timeStatement } from "../../shared/measure/explain_runs.ts";
import { representativeValue } from "../../shared/measure/representative.ts";
import { isOwnStatement } from "../../shared/workload/workload.ts";

const env = stackEnv();

Deno.test("the suite's measurements are its own statements in pg_stat_statements, the project's run is not", async () => {
  const table = `own_statements_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const db = createSql({ functionName: "own-statements-test", url: env.dbUrl });
  try {
    await withSql(async (sql) => {
      await sql.unsafe(`create table public.${table} (id int primary key, tag text)`);
      await sql.unsafe(`insert into public.${table} select g, 'tag ' || g from generate_series(1, 100) g`);
      // the project's run
      await sql.unsafe(`select * from public.${table} where id = $1`, [7]);
    });
    await inRolledBackTransaction(db, { statementTimeoutMs: 10_000, lockTimeoutMs: 1_000 }, async (tx) => {
      await timeStatement(tx, { text: `select * from public.${table} where id = $1`, params: ["7"] }, 1);
      await representativeValue(tx, { schema: "public", table }, "tag");
    });
    const rows = await withSql((sql) =>
      sql<{ role: string; query: string }[]>`
        select r.rolname as role, s.query
        from extensions.pg_stat_statements s join pg_catalog.pg_roles r on r.oid = s.userid
        where s.query like ${`%${table}%`} and s.query !~* '^\\s*(create|insert)'`
    );
    const own = rows.filter((row) => isOwnStatement(row, []));
    const project = rows.filter((row) => !isOwnStatement(row, []));
    assert.deepEqual(project.map((row) => row.query), [`select * from public.${table} where id = $1`]);
    assert.ok(own.some((row) => /explain \(analyze/.test(row.query)), JSON.stringify(rows));
    assert.ok(own.some((row) => /as value from/.test(row.query)), JSON.stringify(rows));
  } finally {
    await db.end();
    await withSql((sql) => sql.unsafe(`drop table if exists public.${table}`));
  }
});
