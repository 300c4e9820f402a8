/**
 * optimizer.purge_user_metrics and DELETE /functions/v1/metrics/users/:userId: one user's events leave raw
 * events and every rollup tier in one go; server events and other users' events stay.
 */
import assert from "node:assert/strict";
import { MINUTE_MS } from "../../shared/time.ts";
import { bucketIndex } from "../../shared/metrics/latency_histogram.ts";
import { stackEnv } from "../support/env.ts";
import {
  event,
  ingest,
  rollup,
  seriesTotals,
  type Sql,
  uniqueTarget,
  withSql,
} from "../support/metric_store_db.ts";

const env = stackEnv();

/** Counts of the target's "junk" rows in raw events and every tier, and of all its raw events. */
async function rowsBySource(sql: Sql, target: string) {
  const [row] = await sql`
    select
      (select count(*)::int from optimizer.metric_events e where e.target = ${target} and e.reporter = 'user:junk')
        as junk_events,
      (select count(*)::int from optimizer.metric_rollups r where r.target = ${target} and r.source = 'user:junk')
        as junk_minute_rows,
      (select count(*)::int from optimizer.metric_rollups_5min r where r.target = ${target}
        and r.source = 'user:junk') as junk_five_minute_rows,
      (select count(*)::int from optimizer.metric_rollups_hourly h where h.target = ${target}
        and h.source = 'user:junk') as junk_hour_rows,
      (select count(*)::int from optimizer.metric_events e where e.target = ${target}) as all_events`;
  return row;
}

/** Server events, a user "junk" and a user "kept" report to the same target and minutes. */
async function seed(sql: Sql, target: string, now: number): Promise<void> {
  const at = (i: number) => new Date(now - (i % 3) * MINUTE_MS).toISOString();
  await ingest(
    sql,
    Array.from({ length: 6 }, (_, i) => event(target, { occurred_at: at(i) })),
    "secret:default",
  );
  await ingest(
    sql,
    Array.from(
      { length: 9 },
      (_, i) => event(target, { system: "app", latency_ms: 9_000, occurred_at: at(i) }),
    ),
    "user:junk",
  );
  await ingest(
    sql,
    Array.from({ length: 4 }, (_, i) => event(target, { system: "app", occurred_at: at(i) })),
    "user:kept",
  );
}

Deno.test("users' events roll up apart from server events, and series sum across them", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("sources");
    const now = Date.now();
    await seed(sql, target, now);
    await rollup(sql);
    const sources = await sql`
      select source, sum(count)::int as n from optimizer.metric_rollups where target = ${target}
      group by source order by source`;
    assert.deepEqual(sources.map((r) => [r.source, r.n]), [["server", 6], ["user:junk", 9], [
      "user:kept",
      4,
    ]]);
    const totals = await seriesTotals(sql, target, new Date(now - 10 * MINUTE_MS), new Date(now + MINUTE_MS));
    assert.equal(totals.count, 19);
  });
});

Deno.test("purge_user_metrics deletes one user's raw events and rollup rows of every tier, nothing else", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("purge");
    const now = Date.now();
    await seed(sql, target, now);
    await rollup(sql);
    const before = await rowsBySource(sql, target);
    assert.equal(before.junk_events, 9);
    assert.ok(
      before.junk_minute_rows >= 1 && before.junk_five_minute_rows >= 1 && before.junk_hour_rows >= 1,
    );

    const [{ summary }] = await sql`select optimizer.purge_user_metrics('junk') as summary`;
    assert.ok(summary.events >= 9, JSON.stringify(summary)); // other tests' 'user:junk' events go too
    assert.ok(summary.tier_rows.metric_rollups >= before.junk_minute_rows);
    assert.ok(summary.tier_rows.metric_rollups_5min >= before.junk_five_minute_rows);
    assert.ok(summary.tier_rows.metric_rollups_hourly >= before.junk_hour_rows);

    const after = await rowsBySource(sql, target);
    assert.deepEqual(
      { ...after },
      { junk_events: 0, junk_minute_rows: 0, junk_five_minute_rows: 0, junk_hour_rows: 0, all_events: 10 },
    );
    const totals = await seriesTotals(sql, target, new Date(now - 10 * MINUTE_MS), new Date(now + MINUTE_MS));
    assert.equal(totals.count, 10);
    assert.equal(
      totals.histogram[bucketIndex(9_000)],
      undefined,
      "the junk latencies (9 s) left the histogram",
    );
  });
});

Deno.test("a purge keeps events not yet rolled up from reaching the rollups", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("purge-pending");
    const now = Date.now();
    await seed(sql, target, now);
    await sql`select optimizer.purge_user_metrics('junk')`;
    await rollup(sql);
    const totals = await seriesTotals(sql, target, new Date(now - 10 * MINUTE_MS), new Date(now + MINUTE_MS));
    assert.equal(totals.count, 10);
    assert.equal((await rowsBySource(sql, target)).junk_minute_rows, 0);
  });
});

Deno.test("purge_user_metrics refuses an empty user id", async () => {
  await withSql(async (sql) => {
    await assert.rejects(sql`select optimizer.purge_user_metrics('')`, /user_id must be a user id/);
  });
});

Deno.test("DELETE /metrics/users/:userId purges that user and answers with the counts", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("purge-http");
    const userId = crypto.randomUUID();
    const at = new Date().toISOString();
    await ingest(sql, [
      event(target, { system: "app", occurred_at: at }),
      event(target, { system: "app", occurred_at: at }),
    ], `user:${userId}`);
    await ingest(sql, [event(target)], "secret:default");
    await rollup(sql);

    const response = await fetch(`${env.url}/functions/v1/metrics/users/${userId}`, {
      method: "DELETE",
      headers: { apikey: env.secretKey },
    });
    const answer = await response.json();
    assert.equal(response.status, 200, JSON.stringify(answer));
    assert.deepEqual(
      { ...answer, requestId: undefined },
      { userId, events: 2, minuteRows: 1, fiveMinuteRows: 1, hourRows: 1, requestId: undefined },
    );
    const [{ n }] =
      await sql`select count(*)::int as n from optimizer.metric_events where target = ${target}`;
    assert.equal(n, 1);
  });
});

Deno.test("DELETE /metrics/users/:userId refuses a user id with control characters, deleting nothing", async () => {
  const response = await fetch(`${env.url}/functions/v1/metrics/users/a%00b`, {
    method: "DELETE",
    headers: { apikey: env.secretKey },
  });
  const answer = await response.json();
  assert.equal(response.status, 400);
  assert.deepEqual(answer.issues, [{ path: "userId", message: "must not contain control characters" }]);
});
