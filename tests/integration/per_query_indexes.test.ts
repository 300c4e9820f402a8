import assert from "node:assert/strict";
import { advisePerQuery } from "../../bench/harness/per_query_indexes.ts";
import { withSql } from "../support/metric_store_db.ts";
import type { Sql } from "../../shared/mod.ts";

/** A table of 20,000 rows, and two statements run twice each so that pg_stat_statements holds them. */
async function withWorkload(body: (sql: Sql, table: string) => Promise<void>): Promise<void> {
  await withSql(async (sql) => {
    const table = `perq_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await sql.unsafe(`create table public.${table} (id bigint primary key, owner int not null, note text)`);
    try {
      await sql.unsafe(
        `insert into public.${table} select g, g % 2000, 'n' || g from pg_catalog.generate_series(1, 20000) g`,
      );
      await sql.unsafe(`analyze public.${table}`);
      for (const value of [1, 2]) {
        await sql.unsafe(`select * from public.${table} where owner = $1`, [value]);
        await sql.unsafe(`select * from public.${table} where id = $1`, [value]);
      }
      await body(sql, table);
    } finally {
      await sql.unsafe(`drop table if exists public.${table}`);
    }
  });
}

Deno.test("advisePerQuery() suggests a single-column index on the column a statement filters on", async () => {
  await withWorkload(async (sql, table) => {
    const advice = await advisePerQuery(sql, { appTables: [table], maxStatements: 100, minCalls: 2 });
    assert.deepEqual(advice.indexes.map((i) => ({ table: i.table, columns: i.columns })), [
      { table, columns: ["owner"] },
    ]);
    assert.match(advice.indexes[0].statement, new RegExp(`on public\\.${table} \\(owner\\)$`));
  });
});

Deno.test("advisePerQuery() gives no index for a statement its primary key serves, and says so", async () => {
  await withWorkload(async (sql, table) => {
    const advice = await advisePerQuery(sql, { appTables: [table], maxStatements: 100, minCalls: 2 });
    const byId = advice.rejected.find((r) => /where id = \$1/.test(r.subject));
    assert.equal(byId?.reason, "no hypothetical single-column index in the new plan");
  });
});
