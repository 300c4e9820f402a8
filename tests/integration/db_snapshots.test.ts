/**
 * optimizer.take_db_snapshot and the delta functions: counters grow between snapshots, and a statistics
 * reset is reported as one instead of as negative deltas.
 *
 * The statement test calls extensions.pg_stat_statements_reset(), which empties pg_stat_statements for the
 * whole database: do not run it beside tests that read pg_stat_statements.
 */
import assert from "node:assert/strict";
import { withSql } from "../support/metric_store_db.ts";

const statementCounters = [
  "calls",
  "total_exec_time",
  "rows",
  "shared_blks_hit",
  "shared_blks_read",
  "shared_blks_dirtied",
  "shared_blks_written",
  "temp_blks_read",
  "temp_blks_written",
  "plans",
  "total_plan_time",
  "sum_sq_exec_time",
];

Deno.test("a pg_stat_statements reset between snapshots gives reset_detected and no negative deltas", async () => {
  await withSql(async (sql) => {
    const [{ from_ts }] = await sql`select clock_timestamp() as from_ts`;
    for (let i = 0; i < 5; i++) await sql`select count(*) from pg_class where relpages >= ${i}`;
    await sql`select optimizer.take_db_snapshot()`;
    for (let i = 0; i < 5; i++) await sql`select count(*) from pg_class where relpages >= ${i}`;
    await sql`select extensions.pg_stat_statements_reset()`;
    for (let i = 0; i < 3; i++) await sql`select count(*) from pg_class where relpages >= ${i}`;
    await sql`select optimizer.take_db_snapshot()`;

    const [{ to_ts }] = await sql`select clock_timestamp() as to_ts`;
    const rows = await sql`select * from optimizer.statement_deltas(${from_ts}, ${to_ts})`;
    assert.ok(rows.length > 0, "statements ran after the reset, so some must have deltas");
    for (const row of rows) {
      assert.equal(row.reset_detected, true, `${row.query}: reset not detected`);
      for (const counter of statementCounters) {
        if (row[counter] !== null) {
          assert.ok(Number(row[counter]) >= 0, `${row.query}: ${counter} = ${row[counter]}`);
        }
      }
    }
    const probe = rows.find((r) => /relpages >= \$1/.test(r.query ?? ""));
    assert.ok(probe, "the probe statement is reported");
    assert.equal(Number(probe.calls), 3, "only the calls since the reset count");

    const [{ deltas }] = await sql`select optimizer.db_snapshot_deltas(${from_ts}, ${to_ts}) as deltas`;
    assert.equal(deltas.snapshots, 2);
    assert.equal(deltas.statements_reset_detected, true);
    for (const [name, value] of Object.entries(deltas.deltas)) {
      assert.ok(Number(value) >= 0, `${name} = ${value}`);
    }
  });
});

Deno.test("statement deltas without a reset are the counter differences", async () => {
  await withSql(async (sql) => {
    // a table of its own gives the probe a queryid of its own (aliases and constants do not)
    const marker = `probe_${crypto.randomUUID().replaceAll("-", "")}`;
    await sql.unsafe(`create temporary table ${marker} (id integer)`);
    const [{ from_ts }] = await sql`select clock_timestamp() as from_ts`;
    await sql.unsafe(`select count(*) from ${marker}`);
    await sql`select optimizer.take_db_snapshot()`;
    for (let i = 0; i < 4; i++) await sql.unsafe(`select count(*) from ${marker}`);
    await sql`select optimizer.take_db_snapshot()`;
    const [{ to_ts }] = await sql`select clock_timestamp() as to_ts`;
    const rows = await sql`
      select * from optimizer.statement_deltas(${from_ts}, ${to_ts}) where query like ${"%" + marker + "%"}`;
    assert.equal(rows.length, 1);
    assert.equal(Number(rows[0].calls), 4);
    assert.equal(rows[0].reset_detected, false);
  });
});

Deno.test("statement deltas carry the sum of the squares of the window's execution times", async () => {
  await withSql(async (sql) => {
    const marker = `probe_${crypto.randomUUID().replaceAll("-", "")}`;
    await sql.unsafe(`create temporary table ${marker} as select 1 as id`);
    const [{ from_ts }] = await sql`select clock_timestamp() as from_ts`;
    await sql.unsafe(`select pg_sleep(0.05) from ${marker}`);
    await sql`select optimizer.take_db_snapshot()`;
    // 10 and 30 ms: a mean of 20 and a standard deviation of 10, whatever the call before the window took
    for (const seconds of [0.01, 0.03]) await sql.unsafe(`select pg_sleep(${seconds}) from ${marker}`);
    await sql`select optimizer.take_db_snapshot()`;
    const [{ to_ts }] = await sql`select clock_timestamp() as to_ts`;
    const [row] = await sql`
      select calls, total_exec_time, sum_sq_exec_time
      from optimizer.statement_deltas(${from_ts}, ${to_ts}) where query like ${"%" + marker + "%"}`;
    assert.equal(Number(row.calls), 2);
    const mean = row.total_exec_time / 2;
    const stddev = Math.sqrt(row.sum_sq_exec_time / 2 - mean ** 2);
    assert.ok(mean >= 20 && mean < 25, `mean ${mean} ms`);
    assert.ok(stddev > 8 && stddev < 12, `standard deviation ${stddev} ms`);
  });
});

Deno.test("database counters that went backwards give reset_detected and deltas since the reset", async () => {
  await withSql(async (sql) => {
    // synthetic snapshots in a window of their own, far in the past, so real snapshots do not mix in
    const base = new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e6) * 60_000);
    const at = (m: number) => new Date(base.getTime() + m * 60_000);
    const insert = (takenAt: Date, commits: number, reset: string) =>
      sql`
      insert into optimizer.db_snapshots (taken_at, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned,
        tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks,
        db_stats_reset, statements_reset, statements_dealloc, connections, connections_total, max_connections,
        database_size_bytes)
      values (${takenAt}, ${commits}, 1, 10, 90, 5, 5, 5, 5, 5, 0, 0, 0, 0, ${reset}, ${reset}, 0, '{}', 1, 100, 1)
      returning id`;
    const ids: string[] = [];
    try {
      ids.push((await insert(at(0), 1000, "2000-12-31T00:00:00Z"))[0].id);
      ids.push((await insert(at(5), 1500, "2000-12-31T00:00:00Z"))[0].id);
      ids.push((await insert(at(10), 40, "2000-12-31T00:00:00Z"))[0].id);

      const [{ plain }] = await sql`select optimizer.db_snapshot_deltas(${at(0)}, ${at(5)}) as plain`;
      assert.equal(plain.reset_detected, false);
      assert.equal(plain.deltas.xact_commit, 500);
      assert.equal(plain.seconds, 300);

      const [{ reset }] = await sql`select optimizer.db_snapshot_deltas(${at(0)}, ${at(10)}) as reset`;
      assert.equal(reset.reset_detected, true);
      assert.equal(reset.deltas.xact_commit, 40);
      for (const [name, value] of Object.entries(reset.deltas)) {
        assert.ok(Number(value) >= 0, `${name} = ${value}`);
      }

      const [{ single }] = await sql`select optimizer.db_snapshot_deltas(${at(10)}, ${at(11)}) as single`;
      assert.equal(single.snapshots, 1);
      assert.equal(single.deltas, null);
    } finally {
      await sql`delete from optimizer.db_snapshots where id = any(${ids}::bigint[])`;
    }
  });
});

Deno.test("table deltas count a table's scans between two snapshots", async () => {
  await withSql(async (sql) => {
    const [{ from_ts }] = await sql`select clock_timestamp() as from_ts`;
    await sql`select optimizer.take_db_snapshot()`;
    await sql`select count(*) from optimizer.runs`; // a sequential or index scan of a table we know exists
    await sql`select pg_sleep(1.1)`; // cumulative statistics are flushed at most once a second
    await sql`select optimizer.take_db_snapshot()`;
    const [{ to_ts }] = await sql`select clock_timestamp() as to_ts`;
    const rows = await sql`
      select * from optimizer.table_deltas(${from_ts}, ${to_ts}) where schemaname = 'optimizer' and relname = 'runs'`;
    assert.equal(rows.length, 1);
    assert.ok(Number(rows[0].seq_scan) + Number(rows[0].idx_scan ?? 0) >= 1);
    assert.equal(rows[0].reset_detected, false);
  });
});
