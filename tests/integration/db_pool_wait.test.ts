import assert from "node:assert/strict";
import { startGateway } from "../../scripts/stack/mod.ts";
import { createSql } from "../../shared/db/client.ts";
import { createMetricReporter, sqlSink } from "../../shared/metrics/metric_reporter.ts";
import { stackEnv } from "../support/env.ts";
import { connect, uniqueTarget, withSql } from "../support/metric_store_db.ts";

/**
 * A slow database, made slow for real: a query sleeping in Postgres, or a lock held on the metric store.
 * Waiting for a connection is bounded (acquireTimeoutMs), and a query given up on is cancelled.
 */

const env = stackEnv();
const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  ...options,
  name: "createSql() fails a query waiting longer than acquireTimeoutMs for a connection, and never runs it",
  fn: async () => {
    const sql = createSql({ functionName: "pool-wait-test", url: env.dbUrl, max: 1, acquireTimeoutMs: 300 });
    try {
      await sql`create temporary table pool_wait (n int)`;
      const slow = sql`select pg_sleep(${1.5})`.then(() => "done");
      const started = performance.now();
      await assert.rejects(sql`insert into pg_temp.pool_wait values (${1})`, {
        code: "CONNECTION_WAIT_TIMEOUT",
        message: /no database connection became free within 300 ms/,
      });
      const waited = performance.now() - started;
      assert.ok(waited < 1000, `the query waited ${waited.toFixed(0)} ms: the bound is 300 ms`);
      assert.equal(await slow, "done", "the query holding the connection is not disturbed");
      const [{ rows }] = await sql`select count(*)::int as rows from pg_temp.pool_wait`;
      assert.equal(rows, 0, "the abandoned insert was taken off the queue, not run later");
    } finally {
      await sql.end();
    }
  },
});

/** A TCP relay to the stack's Postgres that holds each new connection for `delayMs` before relaying it. */
function slowToConnect(delayMs: number) {
  const target = new URL(env.dbUrl);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sockets: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const client of listener) {
      sockets.push(client);
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const upstream = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
        sockets.push(upstream);
        client.readable.pipeTo(upstream.writable).catch(() => {});
        upstream.readable.pipeTo(client.writable).catch(() => {});
      })();
    }
  })().catch(() => {});
  const url = new URL(env.dbUrl);
  url.host = `127.0.0.1:${listener.addr.port}`;
  return {
    url: url.toString(),
    async close() {
      listener.close();
      for (const socket of sockets) {
        try {
          socket.close();
        } catch { /* already closed */ }
      }
      await serving;
    },
  };
}

Deno.test({
  ...options,
  name: "a connection slower to open than acquireTimeoutMs still serves its query and stays in the pool",
  fn: async () => {
    const relay = slowToConnect(1000);
    const sql = createSql({ functionName: "slow-open-test", url: relay.url, max: 1, acquireTimeoutMs: 300 });
    try {
      // Opening is bounded by connectTimeoutSeconds; acquireTimeoutMs bounds only the wait for a busy pool.
      const [{ one }] = await sql`select ${1}::int as one`;
      assert.equal(one, 1);
      const [{ two }] = await sql`select ${2}::int as two`;
      assert.equal(two, 2, "the connection opened slowly is used again, not lost");
    } finally {
      await sql.end();
      await relay.close();
    }
  },
});

Deno.test({
  ...options,
  name: "the metric reporter cancels the ingest statement it gave up on (sendTimeoutMs)",
  fn: async () => {
    const target = uniqueTarget("abandoned");
    const locker = connect();
    const sql = createSql({ functionName: "reporter-cancel-test", url: env.dbUrl, max: 1 });
    try {
      const locked = await locker.reserve();
      await locked`begin`;
      await locked`lock table optimizer.metric_events in access exclusive mode`;
      const failures: unknown[] = [];
      const reporter = createMetricReporter({
        sink: sqlSink(sql, "test:reporter-cancel"),
        sendTimeoutMs: 500,
        flushIntervalMs: 0,
        // one attempt: this test is about the statement the reporter abandons, not about its retries
        maxAttempts: 1,
        onError: (error) => void failures.push(error),
      });
      reporter.record({
        occurredAt: new Date().toISOString(),
        system: "edge",
        target,
        kind: "request",
        error: false,
        coldStart: false,
      });
      await reporter.flush();
      assert.equal(reporter.counters().failed, 1);
      // The cancel travels on a connection of its own: give Postgres a moment to act on it.
      let waiting = 1;
      for (let i = 0; i < 40 && waiting > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        [{ waiting }] = await withSql((other) =>
          other<{ waiting: number }[]>`
            select count(*)::int as waiting from pg_catalog.pg_stat_activity
            where application_name = 'optimizer-reporter-cancel-test' and state = 'active'`
        );
      }
      assert.equal(waiting, 0, "the abandoned ingest no longer waits for the lock");
      await locked`rollback`;
      locked.release();
      const [{ stored }] = await withSql((other) =>
        other<{ stored: number }[]>`
          select count(*)::int as stored from optimizer.metric_events where target = ${target}`
      );
      assert.equal(stored, 0, "the cancelled batch was not stored after the lock went away");
    } finally {
      // The locker first, so that a failed assertion cannot leave the ingest waiting for its lock forever.
      await locker.end({ timeout: 0 });
      await sql.end({ timeout: 1 });
    }
  },
});

Deno.test({
  ...options,
  name: "metrics answers 503 with Retry-After after 2 s without a free connection, not after 15 s",
  fn: async () => {
    const gateway = await startGateway({ port: 0, dbUrl: env.dbUrl, log: () => {} });
    const locker = connect();
    const target = uniqueTarget("pool-wait");
    const post = async () => {
      const started = performance.now();
      const response = await fetch(`${gateway.url}/functions/v1/metrics`, {
        method: "POST",
        headers: { apikey: gateway.keys.secretKey, "content-type": "application/json" },
        body: JSON.stringify({
          events: [{ occurredAt: new Date().toISOString(), system: "edge", target, kind: "request" }],
        }),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        body: await response.json(),
        ms: performance.now() - started,
      };
    };
    try {
      // A warm worker whose cached settings were read before the lock.
      assert.equal((await post()).status, 202);
      const locked = await locker.reserve();
      await locked`begin`;
      await locked`lock table optimizer.metric_events in access exclusive mode`;
      // The worker's pool holds 3 connections (dbDefaults.max): three ingests block on the lock, the rest wait.
      const answers = Promise.all(Array.from({ length: 5 }, post));
      await new Promise((resolve) => setTimeout(resolve, 4000));
      await locked`rollback`;
      locked.release();
      const results = await answers;
      const refused = results.filter((r) => r.status === 503);
      assert.equal(refused.length, 2, JSON.stringify(results));
      for (const r of refused) {
        assert.equal(r.retryAfter, "5");
        assert.match(r.body.error, /database is unavailable/);
        assert.ok(r.ms < 3500, `a refused request waited ${r.ms.toFixed(0)} ms: the bound is 2 s`);
      }
      assert.deepEqual(results.filter((r) => r.status !== 503).map((r) => r.status), [202, 202, 202]);
      const [{ stored }] = await withSql((sql) =>
        sql<
          { stored: number }[]
        >`select count(*)::int as stored from optimizer.metric_events where target = ${target}`
      );
      assert.equal(
        stored,
        4,
        "the warm-up batch and the three accepted ones; the refused ones are not stored",
      );
    } finally {
      await locker.end({ timeout: 0 });
      await gateway.stop();
    }
  },
});
