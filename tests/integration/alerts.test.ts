/**
 * Alerts on the real metric store: optimizer.evaluate_alerts() over rolled-up events, raising a degradation
 * once, keeping it open while it lasts and clearing it when it ends; and an open breaker.
 */
import assert from "node:assert/strict";
import { event, ingest, rollup, type Sql, uniqueTarget, withSql } from "../support/metric_store_db.ts";
import { MINUTE_MS } from "../../shared/time.ts";

/** 30 requests of `fn` a minute over the 5 whole minutes before `now`, `failing` of each minute's failed. */
async function requests(sql: Sql, fn: string, now: number, failing: number) {
  const start = Math.floor(now / MINUTE_MS) * MINUTE_MS - 5 * MINUTE_MS;
  const events = Array.from({ length: 150 }, (_, i) =>
    event(fn, {
      occurred_at: new Date(start + Math.floor(i / 30) * MINUTE_MS + (i % 30) * 1000).toISOString(),
      error: i % 30 < failing,
    }));
  assert.equal(await ingest(sql, events), events.length);
  await rollup(sql);
}

async function alertsOf(sql: Sql, subject: string) {
  return await sql<{ rule: string; value: number; cleared_at: Date | null; last_seen_at: Date }[]>`
    select rule, value, cleared_at, last_seen_at from optimizer.alerts where subject = ${subject} order by id`;
}

const evaluate = (sql: Sql, at: number) => sql`select optimizer.evaluate_alerts(${new Date(at)})`;

Deno.test("evaluate_alerts() raises a degradation once and keeps it open while it lasts", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("alerts-raise");
    const now = Date.now();
    await requests(sql, fn, now, 6); // a fifth failing, above alerts.errorRate 0.05
    await evaluate(sql, now);
    await evaluate(sql, now + 1000);
    const alerts = await alertsOf(sql, `edge:${fn}`);
    assert.deepEqual(alerts.map((a) => [a.rule, a.value, a.cleared_at]), [["alert.error-rate", 0.2, null]]);
    assert.equal(alerts[0].last_seen_at.getTime(), now + 1000);
  });
});

Deno.test("evaluate_alerts() clears an alert when its degradation ends, and raises a new one if it returns", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("alerts-clear");
    const now = Date.now();
    const [degraded, over, back] = [now - 30 * MINUTE_MS, now - 20 * MINUTE_MS, now];
    await requests(sql, fn, degraded, 6);
    await evaluate(sql, degraded);
    // ten minutes on, the window holds none of those requests: the degradation is over
    await evaluate(sql, over);
    let alerts = await alertsOf(sql, `edge:${fn}`);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].cleared_at?.getTime(), over);
    await requests(sql, fn, back, 6);
    await evaluate(sql, back);
    alerts = await alertsOf(sql, `edge:${fn}`);
    assert.deepEqual(alerts.map((a) => a.cleared_at === null), [false, true]);
  });
});

Deno.test("evaluate_alerts() raises nothing below the threshold or with too few requests", async () => {
  await withSql(async (sql) => {
    const healthy = uniqueTarget("alerts-healthy");
    const now = Date.now();
    await requests(sql, healthy, now, 1); // 1 in 30 failing: 0.033, below 0.05
    const quiet = uniqueTarget("alerts-quiet");
    await ingest(sql, [
      event(quiet, { occurred_at: new Date(now - 2 * MINUTE_MS).toISOString(), error: true }),
    ]);
    await rollup(sql);
    await evaluate(sql, now);
    assert.equal((await alertsOf(sql, `edge:${healthy}`)).length, 0);
    assert.equal((await alertsOf(sql, `edge:${quiet}`)).length, 0);
  });
});

Deno.test("evaluate_alerts() raises an alert for an open breaker and lists it in the status overview", async () => {
  await withSql(async (sql) => {
    const name = uniqueTarget("alerts-breaker");
    try {
      await sql`
        insert into optimizer.breaker_states (name, state)
        values (${name}, ${sql.json({ ownState: { value: 1, openedAt: Date.now() } })})`;
      const now = Date.now();
      await evaluate(sql, now);
      assert.deepEqual((await alertsOf(sql, `breaker:${name}`)).map((a) => a.rule), ["alert.breaker-open"]);
      const [{ overview }] = await sql`select optimizer.status_overview(${new Date(now)}) as overview`;
      assert.ok(
        overview.alerts.some((a: { subject: string; cleared_at: string | null }) =>
          a.subject === `breaker:${name}` && a.cleared_at === null
        ),
      );
    } finally {
      await sql`delete from optimizer.breaker_states where name = ${name}`;
    }
  });
});

Deno.test("evaluate_alerts() deletes alerts cleared longer ago than retention.runDays", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("alerts-old");
    const now = Date.now();
    const day = 24 * 60 * MINUTE_MS;
    await sql`
      insert into optimizer.alerts (rule, subject, raised_at, last_seen_at, cleared_at)
      values ('alert.error-rate', ${`edge:${fn}`}, ${new Date(now - 41 * day)}, ${new Date(now - 41 * day)},
              ${new Date(now - 40 * day)}),
             ('alert.cold-start-rate', ${`edge:${fn}`}, ${new Date(now - 3 * day)}, ${new Date(
      now - 3 * day,
    )},
              ${new Date(now - 2 * day)})`;
    await evaluate(sql, now);
    assert.deepEqual((await alertsOf(sql, `edge:${fn}`)).map((a) => a.rule), ["alert.cold-start-rate"]);
  });
});
