/**
 * A rollup cancelled (pg_cancel_backend, or a statement timeout) while it holds the exclusive ingest lock
 * must release it: the lock is session-level, and a pooled connection that kept it would block every ingest.
 */
import assert from "node:assert/strict";
import { connect, event, ingest, type Sql, uniqueTarget } from "../support/metric_store_db.ts";

/** Whether a session holds the exclusive ingest lock (advisory, bigint key 8061130001). */
async function holdersOfIngestLock(sql: Sql): Promise<number[]> {
  const rows = await sql`
    select l.pid from pg_catalog.pg_locks l
    where l.locktype = 'advisory' and l.objsubid = 1 and l.granted and l.mode = 'ExclusiveLock'
      and l.classid::bigint * 4294967296 + l.objid::bigint = 8061130001`;
  return rows.map((r) => r.pid);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Cancel = "pg_cancel_backend" | "statement_timeout";

/**
 * Runs a rollup on `roller` and cancels it right after it took the ingest lock: `blocker` holds metric_events
 * locked, so the rollup waits there, lock in hand, until cancelled. Resolves with the rollup's error, or null
 * if another rollup (pg_cron's, every minute) had the rollup lock and this one never got that far.
 */
async function cancelMidRollup(roller: Sql, blocker: Sql, observer: Sql, how: Cancel): Promise<unknown> {
  const [{ pid }] = await roller`select pg_catalog.pg_backend_pid() as pid`;
  await roller`select pg_catalog.set_config('statement_timeout', ${
    how === "statement_timeout" ? "3s" : "0"
  }, false)`;
  let running: Promise<unknown> | null = null;
  try {
    return await blocker.begin(async (tx) => {
      await tx`lock table optimizer.metric_events in access exclusive mode`;
      running = roller`select optimizer.rollup_metrics('manual')`.then(() => null, (error) => error);
      for (let i = 0; i < 50 && !(await holdersOfIngestLock(observer)).includes(pid); i++) await sleep(50);
      if (!(await holdersOfIngestLock(observer)).includes(pid)) throw new Error("another rollup ran");
      if (how === "pg_cancel_backend") await observer`select pg_catalog.pg_cancel_backend(${pid})`;
      return await running; // the blocker's lock is still held: the rollup cannot have gone on
    });
  } catch {
    await running;
    return null;
  } finally {
    await roller`set statement_timeout = 0`;
  }
}

for (const how of ["pg_cancel_backend", "statement_timeout"] as const) {
  Deno.test(`a rollup cancelled by ${how} while holding the ingest lock leaves no lock behind`, async () => {
    const [roller, blocker, observer] = [connect(), connect(), connect()];
    try {
      let outcome = null;
      for (let attempt = 0; attempt < 3 && outcome === null; attempt++) {
        outcome = await cancelMidRollup(roller, blocker, observer, how);
      }
      assert.match(String(outcome), /canceling statement/);

      // pg_cron's own rollup may take the lock at any moment: what matters is that the cancelled session let go.
      const [{ pid }] = await roller`select pg_catalog.pg_backend_pid() as pid`;
      assert.ok(!(await holdersOfIngestLock(observer)).includes(pid));
      const target = uniqueTarget(`after-${how}`);
      for (const sql of [roller, observer]) {
        await sql`set lock_timeout = '5s'`; // a lock left behind fails the ingest instead of hanging the test
        assert.equal(await ingest(sql, [event(target)]), 1);
      }
    } finally {
      await Promise.all([roller.end(), blocker.end(), observer.end()]);
    }
  });
}
