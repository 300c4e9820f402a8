/**
 * The warmer against the stack's Postgres and gateway: what the store knows about a target (its minutes from
 * the rollups, its last request, the boot and cold-start cost its pings measured, its back-off), the plan and
 * outcomes it records, and a run through the gateway that sends its ping and records what the ping found.
 */
import assert from "node:assert/strict";
import { createSql, createWarmerStore, MINUTE_MS, type WarmerStore } from "../../shared/mod.ts";
import { stackEnv } from "../support/env.ts";
import { awaitYoungWorker } from "../support/young_worker.ts";
import {
  connect,
  event,
  ingest,
  rollup,
  type Sql,
  uniqueTarget,
  withModuleOn,
  withSql,
} from "../support/metric_store_db.ts";

const env = stackEnv();

async function withStore<T>(body: (store: WarmerStore, sql: Sql) => Promise<T>): Promise<T> {
  const sql = createSql({ functionName: "warmer-test", url: env.dbUrl, max: 1 });
  try {
    return await withSql((raw) => body(createWarmerStore(sql), raw));
  } finally {
    await sql.end();
  }
}

/** Rollup rows of `target` (system edge, kind request), `count` in each of the given minutes. */
async function insertMinutes(sql: Sql, target: string, minutes: number[], count: number): Promise<void> {
  for (const minute of minutes) {
    await sql`
      insert into optimizer.metric_rollups (minute, system, target, kind, source, count)
      values (${new Date(minute)}, 'edge', ${target}, 'request', 'server', ${count})`;
  }
}

/** A finished warmer run with pings already sent, as a past run leaves them. */
async function pastPings(
  sql: Sql,
  fn: string,
  pings: {
    sentAt: number;
    coldStart: boolean | null;
    workerAgeMs: number | null;
    latencyMs: number;
    error?: string;
  }[],
): Promise<void> {
  const [{ id }] = await sql`
    insert into optimizer.runs (module, trigger, status) values ('warmer', 'api', 'succeeded') returning id`;
  for (const ping of pings) {
    await sql`
      insert into optimizer.warm_pings (run_id, function_name, kind, planned_at, expected_cold_starts_avoided,
        reason, sent_at, status, cold_start, worker_age_ms, latency_ms, error)
      values (${id}, ${fn}, 'refresh', ${new Date(ping.sentAt)}, 0.5, 'test', ${new Date(ping.sentAt)},
        ${ping.error ? null : 200}, ${ping.coldStart}, ${ping.workerAgeMs}, ${ping.latencyMs}, ${
      ping.error ?? null
    })`;
  }
}

const thisMinute = () => Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;

Deno.test("the warmer store reads a target's minutes, its last request and what its pings measured", async () => {
  const fn = uniqueTarget("warm");
  await withStore(async (store, sql) => {
    await store.putTarget(fn, true);
    const now = thisMinute() + 30_000;
    // 6 a minute over the last 10 minutes, and at the same minutes yesterday
    const recent = Array.from({ length: 10 }, (_, k) => thisMinute() - (k + 1) * MINUTE_MS);
    await insertMinutes(sql, fn, [...recent, ...recent.map((m) => m - 24 * 60 * MINUTE_MS)], 6);
    // three cold pings of 900 ms, three warm ones of 100 ms; the latest found a worker 20 s old
    await pastPings(sql, fn, [
      ...[5, 4, 3].map((k) => ({
        sentAt: now - k * MINUTE_MS,
        coldStart: true,
        workerAgeMs: 0,
        latencyMs: 900,
      })),
      ...[2, 1].map((k) => ({
        sentAt: now - k * MINUTE_MS,
        coldStart: false,
        workerAgeMs: 5_000,
        latencyMs: 100,
      })),
      { sentAt: now - 10_000, coldStart: false, workerAgeMs: 20_000, latencyMs: 100 },
    ]);
    const target = (await store.targets(new Date(now))).find((t) => t.fn === fn)!;
    assert.equal(target.counts.count(recent[0] / MINUTE_MS), 6);
    assert.equal(target.counts.count((recent[0] - 24 * 60 * MINUTE_MS) / MINUTE_MS), 6);
    assert.equal(
      target.lastRequestMs,
      thisMinute() - 1,
      "the last millisecond of the last minute with a request",
    );
    assert.equal(target.lastPingMs, now - 10_000);
    assert.equal(target.bootedAtMs, now - 30_000 + 100, "answered a latency after sending, 20 s old");
    assert.equal(target.coldStartMs, 800);
    assert.equal(target.backedOffUntilMs, null);
    assert.equal(target.gaps?.count, 19, "gaps between the 20 minutes with requests");
  });
});

Deno.test("the warmer store reads the requests the rollup has not folded yet to the millisecond", async () => {
  const fn = uniqueTarget("unfolded");
  const holder = connect();
  try {
    await withStore(async (store, sql) => {
      await store.putTarget(fn, true);
      // both events in this minute: not within its first seconds
      const intoMinute = Date.now() % MINUTE_MS;
      if (intoMinute < 5_000) await new Promise((resolve) => setTimeout(resolve, 5_000 - intoMinute));
      const now = Date.now();
      const folded = thisMinute() - 2 * MINUTE_MS;
      await insertMinutes(sql, fn, [folded], 4);
      // The rollup's own lock, held so that pg_cron's rollup cannot fold the events while the store reads.
      await holder.begin(async (tx) => {
        await tx`select pg_catalog.pg_advisory_xact_lock(8061130002)`;
        await ingest(sql, [
          event(fn, { occurred_at: new Date(now - 3_000).toISOString() }),
          event(fn, { occurred_at: new Date(now - 1_234).toISOString() }),
        ]);
        const target = (await store.targets(new Date(now))).find((t) => t.fn === fn)!;
        assert.equal(target.lastRequestMs, now - 1_234, "the instant of the latest unfolded request");
        assert.equal(target.counts.count(Math.floor(now / MINUTE_MS)), 2);
        assert.equal(target.counts.count(folded / MINUTE_MS), 4);
        assert.equal(target.gaps?.count, 1, "the gap from the folded minute to the unfolded one");
      });
    });
  } finally {
    await holder.end();
  }
});

Deno.test("the warmer store knows a folded request's instant, and counts it once", async () => {
  const fn = uniqueTarget("folded");
  await withStore(async (store, sql) => {
    await store.putTarget(fn, true);
    const at = Date.now() - 5_000;
    await ingest(sql, [event(fn, { occurred_at: new Date(at).toISOString() })]);
    await rollup(sql);
    const target = (await store.targets(new Date())).find((t) => t.fn === fn)!;
    assert.equal(target.lastRequestMs, at, "the instant, not the end of its minute");
    assert.equal(target.counts.count(Math.floor(at / MINUTE_MS)), 1);
  });
});

Deno.test("the warmer store finds a function's last request after an instant, folded or not", async () => {
  const fn = uniqueTarget("after");
  await withStore(async (store, sql) => {
    const now = Date.now();
    await ingest(sql, [
      event(fn, { occurred_at: new Date(now - 3_000).toISOString() }),
      event(fn, { occurred_at: new Date(now - 2_000).toISOString() }),
      event(fn, { occurred_at: new Date(now - 1_000).toISOString(), kind: "warm_ping" }),
    ]);
    assert.equal((await store.lastRequestAfter(fn, new Date(now - 10_000)))?.getTime(), now - 2_000);
    await rollup(sql);
    assert.equal((await store.lastRequestAfter(fn, new Date(now - 10_000)))?.getTime(), now - 2_000);
    assert.equal(await store.lastRequestAfter(fn, new Date(now - 2_000)), null, "none after the instant");
  });
});

Deno.test("a dropped ping keeps its reason, leaves the hour's budget and is counted apart", async () => {
  const fn = uniqueTarget("dropped");
  await withStore(async (store, sql) => {
    await store.putTarget(fn, true);
    const now = new Date();
    const spent = await store.pingsInLastHour(now);
    const [{ id: runId }] = await sql`
      insert into optimizer.runs (module, trigger, status) values ('warmer', 'api', 'running') returning id`;
    const planned = {
      fn,
      kind: "refresh" as const,
      expectedColdStartsAvoided: 0.4,
      expectedSavedMs: 120,
      trafficFirstChance: 0.9,
      droppedAfterRequestSinceMs: now.getTime() - 5_000,
      reason: "test",
    };
    const [kept, dropped] = await store.recordPlan(String(runId), [
      { ...planned, atMs: now.getTime() - 2_000 },
      { ...planned, atMs: now.getTime() - 1_000 },
    ]);
    await store.recordDropped(dropped, "a request came first");
    assert.equal(await store.pingsInLastHour(now), spent + 1);
    const [row] = await sql`select dropped, sent_at from optimizer.warm_pings where id = ${dropped}`;
    assert.deepEqual(row, { dropped: "a request came first", sent_at: null });
    const [{ activity }] = await sql`
      select a as activity from pg_catalog.jsonb_array_elements(optimizer.warm_activity(${new Date(
      now.getTime() - 60_000,
    )})) a where a ->> 'function_name' = ${fn}`;
    assert.equal(activity.planned, 2);
    assert.equal(activity.dropped, 1);
    assert.equal(activity.expected_cold_starts_avoided, 0.4, "only the ping not dropped claims its worth");
    assert.ok(kept);
  });
});

Deno.test("the warmer store backs off a target whose last pings failed, 2^n minutes after the last", async () => {
  const fn = uniqueTarget("flaky");
  await withStore(async (store, sql) => {
    await store.putTarget(fn, true);
    const now = Date.now();
    await pastPings(sql, fn, [
      { sentAt: now - 200_000, coldStart: false, workerAgeMs: 1_000, latencyMs: 50 },
      ...[3, 2, 1].map((k) => ({
        sentAt: now - k * 1_000,
        coldStart: null,
        workerAgeMs: null,
        latencyMs: 10_000,
        error: "no answer within 10000 ms",
      })),
    ]);
    const target = (await store.targets(new Date(now))).find((t) => t.fn === fn)!;
    assert.equal(target.backedOffUntilMs, now - 1_000 + 8 * MINUTE_MS);
  });
});

Deno.test("a disabled warm target is not planned for, and a name the gateway cannot route is refused", async () => {
  const fn = uniqueTarget("off");
  await withStore(async (store, sql) => {
    await store.putTarget(fn, false);
    assert.ok(!(await store.targets(new Date())).some((t) => t.fn === fn));
    assert.equal((await store.listTargets()).find((t) => t.functionName === fn)?.enabled, false);
    await assert.rejects(
      sql`insert into optimizer.warm_targets (function_name) values ('robots/../x')`,
      /warm_targets_function_name_check/,
    );
  });
});

Deno.test("POST /warmer/run plans a due ping, answers at once, then sends it and records what it found", async () => {
  // A busy target whose worker (booted 140 s ago, said its last ping) reaches its lifetime in about 10 s.
  const fn = uniqueTarget("due");
  // the run plans only what its worker lives to send: a young one plans the whole minute
  await awaitYoungWorker("warmer");
  await withStore(async (store, sql) => {
    await store.putTarget(fn, true);
    const now = Date.now();
    await insertMinutes(
      sql,
      fn,
      Array.from({ length: 10 }, (_, k) => thisMinute() - (k + 1) * MINUTE_MS),
      60,
    );
    await pastPings(sql, fn, [{
      sentAt: now - 5_000,
      coldStart: false,
      workerAgeMs: 135_000,
      latencyMs: 20,
    }]);
    await withModuleOn(sql, "warmer", async () => {
      const response = await fetch(`${env.url}/functions/v1/warmer/run`, {
        method: "POST",
        headers: { apikey: env.secretKey },
      });
      assert.equal(response.status, 200);
      const body = await response.json();
      const ping = body.pings.find((p: { fn: string }) => p.fn === fn);
      assert.equal(ping?.kind, "successor", JSON.stringify(body));
      // The function answered before the ping's instant; the ping goes to a function the gateway does not serve.
      let row: Record<string, unknown> | undefined;
      for (let attempt = 0; attempt < 100; attempt++) {
        [row] = await sql`select sent_at, status, error from optimizer.warm_pings where id = ${ping.id}`;
        if (row?.sent_at) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.ok(row?.sent_at, "the ping was sent within 30 s");
      assert.ok((row.sent_at as Date).getTime() >= Date.parse(ping.at), "not before its instant");
      assert.equal(row.status, 404);
      assert.match(String(row.error), /^not a warm-up answer: 404/);
      // GET /status reports the target's pings of the last 24 hours
      const status =
        await (await fetch(`${env.url}/functions/v1/status`, { headers: { apikey: env.secretKey } }))
          .json();
      const activity = status.warming.find((w: { functionName: string }) => w.functionName === fn);
      assert.deepEqual(
        {
          planned: activity.planned,
          sent: activity.sent,
          failed: activity.failed,
          requests: activity.requests,
        },
        { planned: 2, sent: 2, failed: 1, requests: 600 },
      );
    });
  });
});
