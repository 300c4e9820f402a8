/**
 * Refresh-ahead's ground against the stack's Postgres: named loaders (optimizer.put_cache_loader()), the reload
 * of an entry without the app (optimizer.cache_refresh()), the entries it may reload and what a namespace's
 * lookups cost (shared/cache/refresh_store.ts). The loaders are functions of a schema of the tests' own.
 */
import assert from "node:assert/strict";
import {
  createRefreshStore,
  createSharedCache,
  createSql,
  type EndpointCaller,
  type Sql,
} from "../../shared/mod.ts";
import { stackEnv } from "../support/env.ts";
import { withModuleOn } from "../support/metric_store_db.ts";
import { awaitYoungWorker } from "../support/young_worker.ts";

const env = stackEnv();

/** A namespace no other test uses. */
const namespace = (label: string) => `test-refresh-${label}-${crypto.randomUUID()}`;

async function withDb<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = createSql({ functionName: "cache-refresh-test", url: env.dbUrl, max: 2 });
  try {
    await sql.unsafe(`
      create schema if not exists refresh_test;
      -- a named query: the key's value, with how many times it was loaded
      create table if not exists refresh_test.loads (key text primary key, n integer not null);
      create or replace function refresh_test.load(key text) returns jsonb language sql as $$
        insert into refresh_test.loads as l values (key, 1)
        on conflict (key) do update set n = l.n + 1
        returning jsonb_build_object('key', key, 'loads', n)
      $$;
      -- a write that lands while the loader runs, and the app's read after it that stores the new value:
      -- key is 'namespace|tag'
      create or replace function refresh_test.load_during_write(key text) returns jsonb language plpgsql as $$
      declare
        ns text := split_part(key, '|', 1);
        tag text := split_part(key, '|', 2);
      begin
        perform optimizer.cache_invalidate(ns, array[tag]);
        perform optimizer.cache_put(ns, key, '{"name":"after the write"}', array[tag],
          optimizer.cache_version_sum(ns, array[tag]), 60000, 0);
        return '{"name":"read before the write"}';
      end
      $$;
      create or replace function refresh_test.load_slowly(key text) returns json language sql as $$
        select pg_sleep(2); select '{}'::json
      $$;
      create or replace function refresh_test.not_json(key text) returns integer language sql as $$ select 1 $$;
    `);
    return await body(sql);
  } finally {
    await sql.end();
  }
}

const cache = (sql: Sql, ns: string, now?: () => Date) =>
  createSharedCache({ sql, namespace: ns, reporter: null, now }, { ttlMs: 60_000, staleMs: 10_000 });

async function entry(sql: Sql, ns: string, key: string) {
  const [row] = await sql<
    { value: string; tags: string[]; ttl_s: number; stale_s: number; read_minutes: number }[]
  >`
    select value, tags, extract(epoch from fresh_until - stored_at)::float8 as ttl_s,
      extract(epoch from stale_until - fresh_until)::float8 as stale_s, read_minutes
    from optimizer.cache_entries where namespace = ${ns} and key = ${key}`;
  return row;
}

Deno.test("cache_refresh() reloads an entry through its named loader, keeping its tags, TTL and stale window", async () => {
  await withDb(async (sql) => {
    const ns = namespace("reload");
    const store = createRefreshStore(sql);
    await cache(sql, ns).getOrLoad("AAPL", () => Promise.resolve({ from: "app" }), { tags: ["symbol:AAPL"] });
    assert.deepEqual(await store.putLoader(ns, { function: "refresh_test.load" }, true), {
      namespace: ns,
      functionName: "refresh_test.load",
      endpoint: null,
      enabled: true,
      updatedAt: (await store.listLoaders()).find((l) => l.namespace === ns)!.updatedAt,
    });
    assert.equal(await store.refresh(ns, "AAPL", 5_000), "refreshed");
    const row = await entry(sql, ns, "AAPL");
    assert.deepEqual(JSON.parse(row.value).key, "AAPL");
    assert.deepEqual([row.tags, row.ttl_s, row.stale_s], [["symbol:AAPL"], 60, 10]);
  });
});

Deno.test("a read after a reload is a shared-tier hit on the loader's value: the app's loader is not called", async () => {
  await withDb(async (sql) => {
    const ns = namespace("hit");
    const store = createRefreshStore(sql);
    await cache(sql, ns).getOrLoad("MSFT", () => Promise.resolve({ from: "app" }));
    await store.putLoader(ns, { function: "refresh_test.load" }, true);
    assert.equal(await store.refresh(ns, "MSFT", 5_000), "refreshed");
    const otherIsolate = cache(sql, ns);
    const read = await otherIsolate.getOrLoad(
      "MSFT",
      () => Promise.reject(new Error("the app's loader ran")),
    );
    assert.equal(read.source, "shared");
    assert.equal((read.value as { key: string }).key, "MSFT");
  });
});

Deno.test("cache_refresh() keeps the value a write brought while its loader ran, not the loader's", async () => {
  await withDb(async (sql) => {
    const ns = namespace("write");
    const key = `${ns}|robot:1`;
    const store = createRefreshStore(sql);
    await cache(sql, ns).getOrLoad(key, () => Promise.resolve({ name: "old" }), { tags: ["robot:1"] });
    await store.putLoader(ns, { function: "refresh_test.load_during_write" }, true);
    assert.equal(await store.refresh(ns, key, 5_000), "invalidated");
    assert.deepEqual(JSON.parse((await entry(sql, ns, key)).value), { name: "after the write" });
  });
});

Deno.test("cache_refresh() leaves alone an entry whose namespace's loader is switched off, or that is gone", async () => {
  await withDb(async (sql) => {
    const ns = namespace("off");
    const store = createRefreshStore(sql);
    await cache(sql, ns).getOrLoad("k", () => Promise.resolve(1));
    await store.putLoader(ns, { function: "refresh_test.load" }, false);
    assert.equal(await store.refresh(ns, "k", 5_000), "no-loader");
    await store.putLoader(ns, { function: "refresh_test.load" }, true);
    assert.equal(await store.refresh(ns, "never-stored", 5_000), "gone");
  });
});

Deno.test("cache_refresh() reports a loader dropped since it was registered, and leaves the entry as it was", async () => {
  await withDb(async (sql) => {
    const ns = namespace("dropped");
    const store = createRefreshStore(sql);
    await cache(sql, ns).getOrLoad("k", () => Promise.resolve(1));
    await sql`create or replace function refresh_test.dropped(key text) returns jsonb language sql as $$ select '2'::jsonb $$`;
    await store.putLoader(ns, { function: "refresh_test.dropped" }, true);
    await sql`drop function refresh_test.dropped(text)`;
    assert.equal(await store.refresh(ns, "k", 5_000), "loader-missing");
    assert.equal(JSON.parse((await entry(sql, ns, "k")).value), 1);
  });
});

Deno.test("a loader that runs past the reload's timeout fails that reload only", async () => {
  await withDb(async (sql) => {
    const ns = namespace("slow");
    const store = createRefreshStore(sql);
    await cache(sql, ns).getOrLoad("k", () => Promise.resolve(1));
    await store.putLoader(ns, { function: "refresh_test.load_slowly" }, true);
    const outcome = await store.refresh(ns, "k", 200);
    assert.equal(typeof outcome, "object");
    assert.match((outcome as { error: string }).error, /statement timeout/);
    assert.equal(JSON.parse((await entry(sql, ns, "k")).value), 1, "the entry keeps its value");
  });
});

Deno.test("putLoader() names what is wrong with a function that cannot be a loader, and registers nothing", async () => {
  await withDb(async (sql) => {
    const ns = namespace("bad");
    const store = createRefreshStore(sql);
    assert.deepEqual(await store.putLoader(ns, { function: "refresh_test.not_json" }, true), {
      problem:
        "function refresh_test.not_json(text) returns integer: a loader returns one json or jsonb value",
    });
    assert.deepEqual(await store.putLoader(ns, { function: "refresh_test.missing" }, true), {
      problem: "function refresh_test.missing (key text) does not exist: create it, schema-qualified, " +
        "before registering it",
    });
    assert.equal((await store.listLoaders()).some((l) => l.namespace === ns), false);
  });
});

Deno.test("candidates() lists the entries of namespaces with a loader, with the clock minutes they were read in", async () => {
  await withDb(async (sql) => {
    const ns = namespace("candidates");
    const unloaded = namespace("no-loader");
    const store = createRefreshStore(sql);
    let at = Date.parse("2030-01-01T10:00:30Z");
    const c = cache(sql, ns, () => new Date(at));
    await c.getOrLoad("k", () => Promise.resolve(1));
    // read again at 10:01:10 and 10:01:25, both hits: one more clock minute
    for (const later of [40_000, 15_000]) {
      at += later;
      await cache(sql, ns, () => new Date(at)).getOrLoad("k", () => Promise.resolve(2));
    }
    await cache(sql, unloaded, () => new Date(at)).getOrLoad("k", () => Promise.resolve(1));
    await store.putLoader(ns, { function: "refresh_test.load" }, true);
    const candidates = await store.candidates(new Date(at), new Date(at + 60_000));
    assert.deepEqual(candidates.filter((c) => c.namespace === ns || c.namespace === unloaded), [{
      namespace: ns,
      key: "k",
      freshUntilMs: Date.parse("2030-01-01T10:01:30Z"),
      ttlMs: 60_000,
      readMinutes: 2,
      firstStoredAtMs: Date.parse("2030-01-01T10:00:30Z"),
    }]);
  });
});

Deno.test("lookupCosts() takes the median latency of a namespace's misses and of its shared-tier hits", async () => {
  await withDb(async (sql) => {
    const ns = namespace("costs");
    const now = Date.now();
    const lookup = (cacheResult: "hit" | "miss", tier: string, latencyMs: number) => ({
      occurred_at: new Date(now - 60_000).toISOString(),
      system: "cache",
      target: ns,
      kind: "lookup",
      cache: cacheResult,
      latency_ms: latencyMs,
      attrs: { tier },
    });
    const events = [
      lookup("miss", "loader", 40),
      lookup("miss", "loader", 50),
      lookup("miss", "loader", 90),
      lookup("hit", "shared", 2),
      lookup("hit", "shared", 4),
      lookup("hit", "isolate", 0.1), // an isolate hit costs no round trip: not what a reload turns a miss into
    ];
    await sql`select optimizer.ingest_metric_events(${sql.json(events)}, 'test:cache-refresh')`;
    const store = createRefreshStore(sql);
    assert.deepEqual(
      await store.lookupCosts([ns, `${ns}-quiet`], new Date(now - 3_600_000), new Date(now)),
      [{ namespace: ns, missMs: 50, hitMs: 3 }, { namespace: `${ns}-quiet`, missMs: null, hitMs: null }],
    );
  });
});

Deno.test("POST /warmer/run reloads an entry likely to be read through its named loader before it expires", async () => {
  await withDb(async (sql) => {
    const ns = namespace("warmer");
    // the run plans only what its worker lives to send: a young one plans the whole minute
    await awaitYoungWorker("warmer");
    const store = createRefreshStore(sql);
    // a minute's TTL with 5 s of it left, read in each of the 20 minutes since it was first stored
    await cache(sql, ns).getOrLoad("EURUSD:M1", () => Promise.resolve({ from: "app" }));
    await sql`update optimizer.cache_entries
              set read_minutes = 20, first_stored_at = now() - interval '20 minutes',
                stored_at = now() - interval '55 seconds', fresh_until = now() + interval '5 seconds',
                stale_until = now() + interval '15 seconds'
              where namespace = ${ns}`;
    await store.putLoader(ns, { function: "refresh_test.load" }, true);
    const lookup = (result: "hit" | "miss", tier: string, latencyMs: number) => ({
      occurred_at: new Date(Date.now() - 60_000).toISOString(),
      system: "cache",
      target: ns,
      kind: "lookup",
      cache: result,
      latency_ms: latencyMs,
      attrs: { tier },
    });
    await sql`select optimizer.ingest_metric_events(${
      sql.json([lookup("miss", "loader", 40), lookup("hit", "shared", 3)])
    }, 'test:cache-refresh')`;
    await withModuleOn(sql, "warmer", async () => {
      const response = await fetch(`${env.url}/functions/v1/warmer/run`, {
        method: "POST",
        headers: { apikey: env.secretKey },
      });
      assert.equal(response.status, 200);
      const body = await response.json();
      const planned = body.refreshes.planned.find((r: { namespace: string }) => r.namespace === ns);
      assert.match(
        planned?.reason ?? JSON.stringify(body.refreshes),
        /each saving 37 ms \(miss 40 ms, hit 3 ms\)/,
      );
      let outcome: { attrs: { outcome: string } } | undefined;
      for (let attempt = 0; attempt < 60 && !outcome; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        [outcome] = await sql<{ attrs: { outcome: string } }[]>`
          select attrs from optimizer.metric_events
          where system = 'cache' and kind = 'refresh' and target = ${ns} and occurred_at > now() - interval '1 hour'`;
      }
      assert.equal(
        outcome?.attrs.outcome,
        "refreshed",
        "the reload was recorded as a metric event within 15 s",
      );
      assert.equal(
        JSON.parse((await entry(sql, ns, "EURUSD:M1")).value).key,
        "EURUSD:M1",
        "the loader's value",
      );
      const status =
        await (await fetch(`${env.url}/functions/v1/status`, { headers: { apikey: env.secretKey } }))
          .json();
      const row = status.caching.find((c: { namespace: string }) => c.namespace === ns);
      assert.deepEqual([row?.entries, row?.loader], [1, {
        functionName: "refresh_test.load",
        endpoint: null,
        enabled: true,
      }], "GET /status shows the namespace with its loader");
    });
  });
});

/** An app's functions on a local port: `answer` serves each POST to /functions/v1/<endpoint>. */
async function withApp(
  answer: (request: Request) => Promise<Response> | Response,
  body: (
    caller: EndpointCaller,
    seen: { url: string; apikey: string | null; body: unknown }[],
  ) => Promise<void>,
) {
  const seen: { url: string; apikey: string | null; body: unknown }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (request) => {
    seen.push({
      url: new URL(request.url).pathname,
      apikey: request.headers.get("apikey"),
      body: await request.clone().json(),
    });
    return await answer(request);
  });
  try {
    await body({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      headers: { apikey: "sb_secret_endpoint_test" },
      fetch: globalThis.fetch.bind(globalThis),
    }, seen);
  } finally {
    await server.shutdown();
  }
}

Deno.test("an app endpoint loader is posted {namespace, key} with the secret key, and its JSON answer stored", async () => {
  await withDb(async (sql) => {
    const ns = namespace("endpoint");
    await cache(sql, ns).getOrLoad("EURUSD", () => Promise.resolve({ bid: 1 }), { tags: ["symbol:EURUSD"] });
    await withApp(() => Response.json({ bid: 1.0842 }), async (caller, seen) => {
      const store = createRefreshStore(sql, caller);
      await store.putLoader(ns, { endpoint: "market-data/cache-load" }, true);
      assert.equal(await store.refresh(ns, "EURUSD", 5_000), "refreshed");
      assert.deepEqual(seen, [{
        url: "/functions/v1/market-data/cache-load",
        apikey: "sb_secret_endpoint_test",
        body: { namespace: ns, key: "EURUSD" },
      }]);
      const row = await entry(sql, ns, "EURUSD");
      assert.deepEqual([JSON.parse(row.value), row.tags, row.ttl_s], [
        { bid: 1.0842 },
        ["symbol:EURUSD"],
        60,
      ]);
    });
  });
});

Deno.test("an app endpoint's 404 stores nothing, another status or a body not JSON is an error with the reason", async () => {
  await withDb(async (sql) => {
    const ns = namespace("endpoint-fails");
    await cache(sql, ns).getOrLoad("k", () => Promise.resolve(1));
    const answers = [
      new Response("no such key", { status: 404 }),
      new Response("boom", { status: 500 }),
      new Response("not json", { status: 200 }),
    ];
    await withApp(() => answers.shift()!, async (caller) => {
      const store = createRefreshStore(sql, caller);
      await store.putLoader(ns, { endpoint: "market-data/cache-load" }, true);
      assert.equal(await store.refresh(ns, "k", 5_000), "loader-null");
      assert.deepEqual(await store.refresh(ns, "k", 5_000), {
        error: "market-data/cache-load answered 500: boom",
      });
      assert.deepEqual(await store.refresh(ns, "k", 5_000), {
        error: "market-data/cache-load answered 200 with a body that is not JSON",
      });
      assert.equal(JSON.parse((await entry(sql, ns, "k")).value), 1, "the entry keeps its value");
    });
  });
});

Deno.test("a write that lands while an app endpoint answers wins over the reload", async () => {
  await withDb(async (sql) => {
    const ns = namespace("endpoint-write");
    await cache(sql, ns).getOrLoad("robot:1", () => Promise.resolve({ name: "old" }), { tags: ["robot:1"] });
    await withApp(async () => {
      await cache(sql, ns).invalidate(["robot:1"]);
      return Response.json({ name: "read before the write" });
    }, async (caller) => {
      const store = createRefreshStore(sql, caller);
      await store.putLoader(ns, { endpoint: "robots/cache-load" }, true);
      assert.equal(await store.refresh(ns, "robot:1", 5_000), "gone");
      assert.equal(await entry(sql, ns, "robot:1"), undefined);
    });
  });
});
