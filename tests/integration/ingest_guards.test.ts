/**
 * The guards of POST /metrics against the real function and store: users report only recent events, at a
 * bounded rate, not from anonymous sign-ins; a batch id makes a retried batch count once, even when the
 * first response was lost after the commit.
 */
import assert from "node:assert/strict";
import { mintUserJwt } from "../../scripts/stack/keys.ts";
import { stackEnv } from "../support/env.ts";
import { uniqueTarget, withSql } from "../support/metric_store_db.ts";

const env = stackEnv();
const metricsUrl = `${env.url}/functions/v1/metrics`;

async function userHeaders(claims: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const token = await mintUserJwt({
    sub: crypto.randomUUID(),
    privateJwk: JSON.parse(Deno.env.get("STACK_JWT_PRIVATE_JWK")!),
    issuer: `${env.url}/auth/v1`,
    claims,
  });
  return { apikey: env.publishableKey, authorization: `Bearer ${token}`, "content-type": "application/json" };
}

const secretHeaders = { apikey: env.secretKey, "content-type": "application/json" };

const appEvents = (target: string, count: number, ageMs = 0) =>
  Array.from({ length: count }, () => ({
    occurredAt: new Date(Date.now() - ageMs).toISOString(),
    system: "app",
    target,
    kind: "request",
    latencyMs: 3,
  }));

async function post(headers: Record<string, string>, body: unknown, url = metricsUrl) {
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function storedCount(target: string): Promise<number> {
  return await withSql(async (sql) => {
    const [{ n }] =
      await sql`select count(*)::int as n from optimizer.metric_events where target = ${target}`;
    return n;
  });
}

Deno.test("POST /metrics refuses a user's event older than ingest.userWindowMinutes and stores nothing", async () => {
  const target = uniqueTarget("user-window");
  const answer = await post(await userHeaders(), {
    events: [...appEvents(target, 1), ...appEvents(target, 1, 10 * 60_000)],
  });
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.issues[0].path, "events[1].occurredAt");
  assert.match(answer.body.issues[0].message, /ingest.userWindowMinutes/);
  assert.equal(await storedCount(target), 0);
});

Deno.test("POST /metrics takes a secret key's events from hours ago", async () => {
  const target = uniqueTarget("secret-window");
  const answer = await post(secretHeaders, { events: appEvents(target, 1, 3 * 3_600_000) });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  assert.equal(await storedCount(target), 1);
});

Deno.test("POST /metrics refuses anonymous sign-ins with 403 and stores nothing", async () => {
  const target = uniqueTarget("anonymous");
  const answer = await post(await userHeaders({ is_anonymous: true }), { events: appEvents(target, 1) });
  assert.equal(answer.status, 403, JSON.stringify(answer.body));
  assert.match(answer.body.error, /anonymous sign-ins may not report/);
  assert.equal(await storedCount(target), 0);
});

Deno.test("POST /metrics answers 429 with retry-after once a user is over ingest.userEventsPerMinute", async () => {
  // the limit is a fixed window per minute: start early in a minute so all three batches share one
  const second = new Date().getUTCSeconds();
  if (second > 40) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
  const target = uniqueTarget("rate");
  const headers = await userHeaders();
  assert.equal((await post(headers, { events: appEvents(target, 1000) })).status, 202);
  assert.equal((await post(headers, { events: appEvents(target, 200) })).status, 202);
  const limited = await post(headers, { events: appEvents(target, 1) });
  assert.equal(limited.status, 429, JSON.stringify(limited.body));
  const retryAfter = Number(limited.headers.get("retry-after"));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
  assert.match(limited.body.error, /1200 events a minute \(ingest.userEventsPerMinute\)/);
  assert.equal(await storedCount(target), 1200);
  // another user has a window of their own
  assert.equal((await post(await userHeaders(), { events: appEvents(target, 1) })).status, 202);
});

Deno.test("POST /metrics stores a batch once when its batchId is sent again", async () => {
  const target = uniqueTarget("batch-id");
  const batch = { batchId: crypto.randomUUID(), events: appEvents(target, 2) };
  const first = await post(secretHeaders, batch);
  assert.deepEqual([first.status, first.body.accepted, first.body.duplicate], [202, 2, false]);
  const again = await post(secretHeaders, batch);
  assert.deepEqual([again.status, again.body.accepted, again.body.duplicate], [202, 2, true]);
  assert.equal(await storedCount(target), 2);
});

Deno.test("POST /metrics counts concurrent copies of one batch once", async () => {
  const target = uniqueTarget("batch-race");
  const batch = { batchId: crypto.randomUUID(), events: appEvents(target, 3) };
  const answers = await Promise.all(Array.from({ length: 6 }, () => post(secretHeaders, batch)));
  assert.deepEqual(answers.map((a) => a.status), Array(6).fill(202));
  assert.equal(answers.filter((a) => !a.body.duplicate).length, 1);
  assert.equal(await storedCount(target), 3);
});

Deno.test("POST /metrics scopes batch ids by reporter: another reporter's id does not block", async () => {
  const target = uniqueTarget("batch-scope");
  const batchId = crypto.randomUUID();
  assert.equal(
    (await post(await userHeaders(), { batchId, events: appEvents(target, 1) })).body.duplicate,
    false,
  );
  assert.equal((await post(secretHeaders, { batchId, events: appEvents(target, 1) })).body.duplicate, false);
  assert.equal(await storedCount(target), 2);
});

/**
 * A TCP proxy to the gateway that forwards the request and, as soon as the response starts to come back
 * (the handler answers only after the insert committed), closes the client's socket: the client sees a
 * network error for a batch that was stored.
 */
function responseDroppingProxy(upstreamPort: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pipes: Promise<void>[] = [];
  const serve = (async () => {
    for await (const client of listener) {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
      const done = () => {
        for (const conn of [client, upstream]) {
          try {
            conn.close();
          } catch {
            // already closed by the other direction
          }
        }
      };
      pipes.push(
        client.readable.pipeTo(upstream.writable).catch(() => {}),
        (async () => {
          const reader = upstream.readable.getReader();
          await reader.read(); // the first bytes of the response: the commit happened
          reader.releaseLock();
          done();
        })().catch(done),
      );
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/functions/v1/metrics`,
    async close() {
      listener.close();
      await serve.catch(() => {});
      await Promise.all(pipes);
    },
  };
}

Deno.test("a batch whose response was lost after the commit counts once when retried", async () => {
  const target = uniqueTarget("lost-response");
  const batch = { batchId: crypto.randomUUID(), events: appEvents(target, 4) };
  const proxy = responseDroppingProxy(Number(new URL(env.url).port));
  try {
    await assert.rejects(
      fetch(proxy.url, { method: "POST", headers: secretHeaders, body: JSON.stringify(batch) })
        .then((response) => response.text()),
    );
  } finally {
    await proxy.close();
  }
  assert.equal(await storedCount(target), 4, "the first attempt committed before its response was lost");
  const retry = await post(secretHeaders, batch);
  assert.deepEqual([retry.status, retry.body.duplicate], [202, true]);
  assert.equal(await storedCount(target), 4);
});

Deno.test("optimizer.ingest_metric_batch forgets the id of a batch it refused for the rate limit", async () => {
  await withSql(async (sql) => {
    const reporter = `test:${crypto.randomUUID()}`;
    const target = uniqueTarget("sql-rate");
    const rows = (n: number) =>
      sql.json(
        Array.from({ length: n }, () => ({
          occurred_at: new Date().toISOString(),
          system: "app",
          target,
          kind: "request",
        })),
      );
    const call = async (n: number, batchId: string, limit: number) => {
      const [outcome] = await sql`
        select * from optimizer.ingest_metric_batch(${rows(n)}::jsonb, ${reporter}, ${batchId}, ${limit})`;
      return { ...outcome };
    };
    assert.deepEqual(await call(2, "a", 3), { accepted: 2, duplicate: false, retry_after_seconds: null });
    const limited = await call(2, "b", 3);
    assert.equal(limited.accepted, 0);
    assert.ok(limited.retry_after_seconds >= 1 && limited.retry_after_seconds <= 60);
    assert.deepEqual(await call(1, "b", 3), { accepted: 1, duplicate: false, retry_after_seconds: null });
    assert.equal(await storedCount(target), 3);
  });
});

Deno.test("optimizer.prune_ingest_guards drops batch ids past rawEventsDays and rate windows past an hour", async () => {
  await withSql(async (sql) => {
    const reporter = `test:${crypto.randomUUID()}`;
    await sql`
      insert into optimizer.ingest_batches (reporter, batch_id, accepted, received_at) values
        (${reporter}, 'old', 1, now() - make_interval(days => optimizer.retention_days('rawEventsDays', 14) + 1)),
        (${reporter}, 'recent', 1, now() - interval '1 day')`;
    await sql`
      insert into optimizer.ingest_rate (reporter, minute, events) values
        (${reporter}, date_trunc('minute', now()) - interval '2 hours', 5),
        (${reporter}, date_trunc('minute', now()), 5)`;
    const [{ summary }] = await sql`select optimizer.prune_ingest_guards() as summary`;
    assert.ok(summary.batches_deleted >= 1 && summary.rate_rows_deleted >= 1, JSON.stringify(summary));
    const batches = await sql`select batch_id from optimizer.ingest_batches where reporter = ${reporter}`;
    assert.deepEqual(batches.map((row) => row.batch_id), ["recent"]);
    const [{ n }] =
      await sql`select count(*)::int as n from optimizer.ingest_rate where reporter = ${reporter}`;
    assert.equal(n, 1);
    await sql`delete from optimizer.ingest_batches where reporter = ${reporter}`;
    await sql`delete from optimizer.ingest_rate where reporter = ${reporter}`;
  });
});
