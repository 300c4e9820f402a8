/**
 * The warmer's clock in Postgres (supabase/migrations/20261129005000_optimizer_clock.sql): wall-clock time by
 * default, sped up without a jump, and the metric store putting reporters' wall-clock events on it. Each test
 * changes the clock inside a transaction it rolls back, so the stack's clock stays wall-clock time.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { event, ingest, uniqueTarget, withSql } from "../support/metric_store_db.ts";

/** Runs `body` in a transaction that is rolled back whatever happens. */
async function rolledBack(body: (tx: postgres.TransactionSql) => Promise<void>) {
  await withSql(async (sql) => {
    await sql.begin(async (tx) => {
      await body(tx);
      throw new RolledBack();
    }).catch((error) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  });
}
class RolledBack extends Error {}

const ms = (value: Date) => value.getTime();

Deno.test("optimizer.now() is wall-clock time while no replay speeds the clock up", async () => {
  await withSql(async (sql) => {
    const [row] = await sql<{ clock: Date; wall: Date }[]>`select optimizer.now() as clock, now() as wall`;
    assert.equal(ms(row.clock), ms(row.wall));
  });
});

Deno.test("optimizer.set_clock_rate() speeds the clock up from the instant it shows, without a jump", async () => {
  await rolledBack(async (tx) => {
    const [{ shown, wall }] = await tx<{ shown: Date; wall: Date }[]>`
      select optimizer.set_clock_rate(60) as shown, clock_timestamp() as wall`;
    assert.ok(Math.abs(ms(shown) - ms(wall)) < 50, "the clock goes on from wall-clock time");
    await tx`select pg_sleep(0.2)`;
    const [{ ahead }] = await tx<{ ahead: number }[]>`
      select extract(epoch from optimizer.clock_at(clock_timestamp()) - ${shown}::timestamptz)::float8 as ahead`;
    assert.ok(ahead >= 12 && ahead < 40, `0.2 wall-clock seconds are ${ahead} s on a 60x clock`);
    const [{ back }] = await tx<{ back: Date }[]>`select optimizer.set_clock_rate(1) as back`;
    assert.ok(ms(back) >= ms(shown) + 12_000, "slowing down keeps the lead: the clock never goes back");
  });
});

Deno.test("optimizer.real_at() is the wall-clock instant the clock shows a time at", async () => {
  await rolledBack(async (tx) => {
    await tx`select optimizer.set_clock_rate(60)`;
    const [{ wall, back }] = await tx<{ wall: Date; back: Date }[]>`
      select w as wall, optimizer.real_at(optimizer.clock_at(w)) as back from clock_timestamp() w`;
    assert.ok(Math.abs(ms(back) - ms(wall)) <= 1, `${back.toISOString()} against ${wall.toISOString()}`);
  });
});

Deno.test("optimizer.set_clock_rate() refuses a rate outside 1 to 3600 and leaves the clock as it was", async () => {
  await withSql(async (sql) => {
    for (const rate of [0, 0.5, 3601]) {
      await assert.rejects(sql`select optimizer.set_clock_rate(${rate})`, /rate must be between 1 and 3600/);
    }
    const [row] = await sql<{ rate: number }[]>`select rate from optimizer.read_clock()`;
    assert.equal(row.rate, 1);
  });
});

Deno.test("the metric store puts a reporter's wall-clock events on the clock", async () => {
  await rolledBack(async (tx) => {
    const [{ shown }] = await tx<{ shown: Date }[]>`select optimizer.set_clock_rate(60) as shown`;
    const target = uniqueTarget("clock");
    // stamped one wall-clock second after the speed-up: a minute later on the clock
    const stamped = new Date(ms(shown) + 1_000);
    await ingest(tx as unknown as postgres.Sql, [event(target, { occurred_at: stamped.toISOString() })]);
    const [{ occurred_at }] = await tx<{ occurred_at: Date }[]>`
      select occurred_at from optimizer.metric_events where target = ${target}`;
    // within 60 ms: the stamp is in whole ms, the origin in µs, and a ms is 60 on the clock
    assert.ok(Math.abs(ms(occurred_at) - (ms(shown) + 60_000)) <= 60, occurred_at.toISOString());
  });
});

Deno.test("optimizer.reset_clock() goes back to wall-clock time and deletes what the clock stamped ahead of it", async () => {
  await rolledBack(async (tx) => {
    const ahead = uniqueTarget("clock-ahead");
    const before = uniqueTarget("clock-before");
    await ingest(tx as unknown as postgres.Sql, [event(before)]);
    await tx`select optimizer.set_clock_rate(3600)`;
    await tx`select pg_sleep(0.1)`;
    // stamped now: six minutes ahead of wall-clock time on a clock an hour ahead every second
    await ingest(tx as unknown as postgres.Sql, [event(ahead)]);
    const [{ deleted }] = await tx<
      { deleted: Record<string, number> }[]
    >`select optimizer.reset_clock() as deleted`;
    assert.equal(deleted.metric_events, 1);
    const left = await tx<{ target: string }[]>`
      select target from optimizer.metric_events where target in (${ahead}, ${before})`;
    assert.deepEqual(
      left.map((row) => row.target),
      [before],
      "what the clock stamped before the speed-up stays",
    );
    const [row] = await tx<{ clock: Date; wall: Date }[]>`select optimizer.now() as clock, now() as wall`;
    assert.equal(ms(row.clock), ms(row.wall));
  });
});

Deno.test("optimizer.request_warmer_run() gives pg_net and the warmer's boot wall-clock seconds on a sped-up clock", async () => {
  await rolledBack(async (tx) => {
    await tx`update optimizer.config set value = value || jsonb_build_object('modules',
      coalesce(value -> 'modules', '{}'::jsonb) || '{"warmer": true}'::jsonb)`;
    await tx`delete from optimizer.runs where module = 'warmer'`;
    // the minute's run asked for at the last tick recorded its start 50 s ago on the clock
    await tx`insert into optimizer.runs (module, trigger, status, started_at)
      values ('warmer', 'cron', 'succeeded', optimizer.now() - interval '50 seconds')`;
    const [wall] = await tx<{ id: string | null }[]>`select optimizer.request_warmer_run() as id`;
    assert.equal(wall.id, null, "on wall-clock time a run 50 s ago is this minute's: 5 s of slack");
    await tx`select optimizer.set_clock_rate(60)`;
    const [fast] = await tx<{ id: string | null }[]>`select optimizer.request_warmer_run() as id`;
    assert.notEqual(
      fast.id,
      null,
      "at 60x 50 clock seconds are under a wall-clock second: the next run is due",
    );
  });
});
