/**
 * The statements that write a table, as an index build's check finds them (check_store.ts writeStatements()),
 * against the stack's Postgres: a workload of writes and reads between two snapshots, in a schema of the
 * test's own.
 */
import assert from "node:assert/strict";
import { createCheckStore, type Sql as ClientSql } from "../../shared/mod.ts";
import { flushStats, type Sql, withSql } from "../support/metric_store_db.ts";

/** The queryid pg_stat_statements gives the statement whose text starts with `prefix`. */
async function queryidOf(sql: Sql, prefix: string): Promise<string> {
  const [row] = await sql`
    select queryid::text from extensions.pg_stat_statements where query like ${`${prefix}%`} limit 1`;
  assert.ok(row, `no statement starting ${prefix}`);
  return row.queryid;
}

Deno.test("writeStatements() finds the inserts, updates and deletes of a table, PostgREST's CTE writes too, and nothing else", async () => {
  await withSql(async (sql) => {
    const schema = `writes_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await sql.unsafe(`
      create schema ${schema};
      create table ${schema}.t (id bigint primary key, note text);
      create table ${schema}.other (id bigint primary key)`);
    try {
      await flushStats(sql);
      const [{ from }] = await sql`select clock_timestamp() as from`;
      await sql`select optimizer.take_db_snapshot()`;
      for (let i = 1; i <= 3; i++) {
        await sql.unsafe(`insert into ${schema}.t (id, note) values ($1, $2)`, [i, "n"]);
        await sql.unsafe(`update ${schema}.t set note = $1 where id = $2`, ["m", i]);
        await sql.unsafe(
          `with pgrst_source as (insert into "${schema}"."t"("id", "note") select $1::bigint, $2 returning "${schema}"."t".*) select count(*) from pgrst_source`,
          [100 + i, "p"],
        );
        await sql.unsafe(`delete from ${schema}.t where id = $1`, [100 + i]);
        await sql.unsafe(`insert into ${schema}.other (id) values ($1)`, [i]);
        await sql.unsafe(`select note from ${schema}.t where id = $1 for update`, [i]);
      }
      await flushStats(sql);
      await sql`select optimizer.take_db_snapshot()`;
      const [{ to }] = await sql`select clock_timestamp() as to`;
      const found = await createCheckStore(sql as unknown as ClientSql).writeStatements(`${schema}.t`, {
        from,
        to,
      });
      const expected = await Promise.all([
        queryidOf(sql, `insert into ${schema}.t`),
        queryidOf(sql, `update ${schema}.t`),
        queryidOf(sql, `with pgrst_source as (insert into "${schema}"."t"`),
        queryidOf(sql, `delete from ${schema}.t`),
      ]);
      assert.deepEqual(found.toSorted(), expected.toSorted());
    } finally {
      await sql.unsafe(`drop schema ${schema} cascade`);
    }
  });
});
