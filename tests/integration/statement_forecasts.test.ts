/**
 * Statement call series against the stack's Postgres: optimizer.statement_call_minutes() from statement
 * snapshots, the forecast store's series of a statement, and the scoring of a statement forecast. Each test
 * writes its snapshots in 2001, inside a transaction it rolls back, so that no other test sees them.
 */
import assert from "node:assert/strict";
import { createForecastStore, MINUTE_MS, type Sql as StoreSql } from "../../shared/mod.ts";
import { type Sql, withSql } from "../support/metric_store_db.ts";

const at = (hhmm: string) => new Date(`2001-01-01T${hhmm}:00Z`);
const queryid = () => String(800_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e15)));
class Rollback extends Error {}

/** Runs `body` in a transaction that is rolled back whatever happens. */
async function inRolledBack(body: (tx: Sql) => Promise<void>): Promise<void> {
  await withSql(async (sql) => {
    await sql.begin(async (tx) => {
      await body(tx as unknown as Sql);
      throw new Rollback();
    }).catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
  });
}

/** A snapshot taken at `takenAt` in the pg_stat_statements epoch that began at `reset`; returns its id. */
async function snapshot(tx: Sql, takenAt: Date, reset: Date): Promise<string> {
  const [{ id }] = await tx<{ id: string }[]>`
    insert into optimizer.db_snapshots (taken_at, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned,
      tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks,
      statements_reset, connections, connections_total, max_connections, database_size_bytes)
    values (${takenAt}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ${reset}, '{}'::jsonb, 0, 100, 0)
    returning id`;
  return String(id);
}

/** The statement's counters at a snapshot: `calls` since its epoch began. */
async function counted(tx: Sql, snapshotId: string, id: string, calls: number): Promise<void> {
  await tx`
    insert into optimizer.db_snapshot_statements (snapshot_id, userid, dbid, queryid, toplevel, calls,
      total_exec_time, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
      temp_blks_read, temp_blks_written)
    values (${snapshotId}, 10, 5, ${id}::bigint, true, ${calls}, ${calls}, 0, 0, 0, 0, 0, 0, 0)`;
}

/**
 * 00:00 10 calls, 00:05 60, 00:10 unchanged (no row), 00:15 80 in an epoch that began at 00:13: 50 calls
 * over 00:00–00:05, none over 00:05–00:10, 80 over 00:13–00:15.
 */
async function history(tx: Sql, id: string): Promise<void> {
  const epoch = at("00:00");
  const first = await snapshot(tx, at("00:00"), epoch);
  await counted(tx, first, id, 10);
  await counted(tx, await snapshot(tx, at("00:05"), epoch), id, 60);
  await snapshot(tx, at("00:10"), epoch);
  await counted(tx, await snapshot(tx, at("00:15"), at("00:13")), id, 80);
}

Deno.test("statement_call_minutes() spreads a statement's calls between snapshots over their minutes", async () => {
  const id = queryid();
  await inRolledBack(async (tx) => {
    await history(tx, id);
    const rows = await tx<{ minute: Date; calls: number }[]>`
      select c.minute, c.calls
      from optimizer.statement_call_minutes(${at("00:00")}, ${at("00:20")}, array[${id}::bigint]) c
      order by c.minute`;
    assert.deepEqual(
      rows.map((row) => [row.minute.toISOString().slice(11, 16), row.calls]),
      [["00:00", 10], ["00:01", 10], ["00:02", 10], ["00:03", 10], ["00:04", 10], ["00:13", 40], [
        "00:14",
        40,
      ]],
    );
  });
});

Deno.test("statement_call_minutes() leaves the calls of a gap longer than an hour unplaced", async () => {
  const id = queryid();
  await inRolledBack(async (tx) => {
    const epoch = at("00:00");
    await counted(tx, await snapshot(tx, at("00:00"), epoch), id, 10);
    await counted(tx, await snapshot(tx, at("03:00"), epoch), id, 500);
    const rows = await tx`
      select 1 from optimizer.statement_call_minutes(${at("00:00")}, ${at("04:00")}, array[${id}::bigint])`;
    assert.equal(rows.length, 0);
  });
});

Deno.test("the forecast store reads a statement's calls per minute as its series", async () => {
  const id = queryid();
  await inRolledBack(async (tx) => {
    await history(tx, id);
    const store = createForecastStore(tx as unknown as StoreSql);
    const series = await store.history({ system: "db", kind: "calls", target: id }, at("00:00"), at("00:15"));
    assert.equal(series.startMs, at("00:00").getTime());
    assert.equal(series.stepMs, MINUTE_MS);
    assert.deepEqual(series.values, [10, 10, 10, 10, 10, 0, 0, 0, 0, 0, 0, 0, 0, 40, 40]);
    const none = await store.history(
      { system: "db", kind: "calls", target: "robots" },
      at("00:00"),
      at("00:15"),
    );
    assert.deepEqual(none.values, [], "a target that is no queryid names no statement");
    const tooBig = await store.history(
      { system: "db", kind: "calls", target: "9223372036854775808" },
      at("00:00"),
      at("00:15"),
    );
    assert.deepEqual(tooBig.values, [], "nor does a number beyond a bigint");
  });
});

Deno.test("score_forecasts() scores a statement forecast against the calls its snapshots counted", async () => {
  const id = queryid();
  await inRolledBack(async (tx) => {
    await history(tx, id);
    const [{ run }] = await tx<{ run: string }[]>`
      insert into optimizer.runs (module, trigger, status) values ('predictive', 'api', 'succeeded')
      returning id as run`;
    const [{ forecast }] = await tx<{ forecast: string }[]>`
      insert into optimizer.forecasts (run_id, made_at, system, target, kind, model, reference, history_minutes)
      values (${run}, ${at("00:00")}, 'db', ${id}, 'calls', 'ses', 'last-value', 60)
      returning id as forecast`;
    // 12 a minute forecast at 00:00 to 00:04, where 10 came: an error of 2 a minute; the reference said 10
    for (let k = 0; k < 5; k++) {
      await tx`
        insert into optimizer.forecast_points (forecast_id, minute, value, low, high, reference)
        values (${forecast}, ${new Date(at("00:00").getTime() + k * MINUTE_MS)}, 12, 9, 15, 10)`;
    }
    await tx`select optimizer.score_forecasts(now())`;
    const [scored] = await tx<
      { minutes: number; abs_error: number; reference_abs_error: number; covered: number }[]
    >`
      select f.minutes, f.abs_error, f.reference_abs_error, f.covered from optimizer.forecasts f
      where f.id = ${forecast}`;
    assert.deepEqual(scored, { minutes: 5, abs_error: 10, reference_abs_error: 0, covered: 5 });
  });
});
