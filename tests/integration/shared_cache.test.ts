/**
 * The two-tier cache (shared/cache/shared_cache.ts) against the stack's Postgres. Two cache objects over the
 * same namespace stand for two isolates: each has its own isolate tier, and they share optimizer.cache_entries.
 */
import assert from "node:assert/strict";
import {
  createMetricReporter,
  createSharedCache,
  createSql,
  type MetricEvent,
  type SharedCacheDeps,
  type Sql,
} from "../../shared/mod.ts";

import { type ReadMark, readPriority, readPriorityDefaults } from "../../shared/cache/read_priority.ts";
import { HOUR_MS, MINUTE_MS } from "../../shared/time.ts";
import { stackEnv } from "../support/env.ts";

const env = stackEnv();

/** A namespace no other test uses. */
const namespace = (label: string) => `test-${label}-${crypto.randomUUID()}`;

/** Runs `body` with a connection of its own. */
async function withDb<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = createSql({ functionName: "cache-test", url: env.dbUrl, max: 2 });
  try {
    return await body(sql);
  } finally {
    await sql.end();
  }
}

/** A loader that counts its calls and returns `value(calls)`. */
function counted<T>(value: (calls: number) => T) {
  const loader = { calls: 0, load: () => Promise.resolve(value(++loader.calls)) };
  return loader;
}

/** A settable clock. */
function clock(start = Date.now()) {
  let at = start;
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

const cache = (sql: Sql, ns: string, extra: Partial<SharedCacheDeps> = {}, ttlMs = 60_000, staleMs = 0) =>
  createSharedCache({ sql, namespace: ns, reporter: null, ...extra }, { ttlMs, staleMs });

Deno.test("getOrLoad() loads a miss once and serves it from the isolate tier after", async () => {
  await withDb(async (sql) => {
    const c = cache(sql, namespace("isolate"));
    const loader = counted((n) => ({ n }));
    const first = await c.getOrLoad("k", loader.load);
    const second = await c.getOrLoad("k", loader.load);
    assert.deepEqual([first, second, loader.calls], [
      { value: { n: 1 }, source: "loader" },
      { value: { n: 1 }, source: "isolate" },
      1,
    ]);
  });
});

Deno.test("getOrLoad() in another isolate finds the value in the shared tier", async () => {
  await withDb(async (sql) => {
    const ns = namespace("shared");
    const loader = counted((n) => ({ n }));
    await cache(sql, ns).getOrLoad("k", loader.load);
    const read = await cache(sql, ns).getOrLoad("k", loader.load);
    assert.deepEqual([read, loader.calls], [{ value: { n: 1 }, source: "shared" }, 1]);
  });
});

Deno.test("getOrLoad() reads no stale value after a write invalidates its tag in the same isolate", async () => {
  await withDb(async (sql) => {
    const c = cache(sql, namespace("same"));
    const loader = counted((n) => `v${n}`);
    await c.getOrLoad("robot:1", loader.load, { tags: ["robot:1"] });
    await c.invalidate(["robot:1"]);
    assert.deepEqual(await c.getOrLoad("robot:1", loader.load, { tags: ["robot:1"] }), {
      value: "v2",
      source: "loader",
    });
  });
});

Deno.test("getOrLoad() reads no stale value after a write in another isolate, from either tier", async () => {
  await withDb(async (sql) => {
    const ns = namespace("other");
    const [a, b] = [cache(sql, ns), cache(sql, ns)];
    const loader = counted((n) => `v${n}`);
    await a.getOrLoad("k", loader.load, { tags: ["user:7"] });
    // b now holds v1 in its isolate tier too
    assert.equal((await b.getOrLoad("k", loader.load, { tags: ["user:7"] })).source, "shared");
    assert.equal((await b.getOrLoad("k", loader.load, { tags: ["user:7"] })).source, "isolate");
    await a.invalidate(["user:7"]);
    assert.deepEqual(await b.getOrLoad("k", loader.load, { tags: ["user:7"] }), {
      value: "v2",
      source: "loader",
    });
  });
});

Deno.test("getOrLoad() does not cache a value loaded while a write invalidated its tag", async () => {
  await withDb(async (sql) => {
    const c = cache(sql, namespace("race"));
    let calls = 0;
    const racing = async () => {
      calls++;
      // the write lands after the loader read the old row, before the value is stored
      if (calls === 1) await c.invalidate(["t"]);
      return `v${calls}`;
    };
    await c.getOrLoad("k", racing, { tags: ["t"] });
    assert.deepEqual(await c.getOrLoad("k", racing, { tags: ["t"] }), { value: "v2", source: "loader" });
  });
});

Deno.test("getOrLoad() loads again once an entry is past its TTL", async () => {
  await withDb(async (sql) => {
    const time = clock();
    const c = cache(sql, namespace("ttl"), { now: time.now }, 1_000);
    const loader = counted((n) => n);
    await c.getOrLoad("k", loader.load);
    time.advance(1_001);
    assert.deepEqual(await c.getOrLoad("k", loader.load), { value: 2, source: "loader" });
  });
});

Deno.test("getOrLoad() serves a stale entry at once and refreshes it in the background", async () => {
  await withDb(async (sql) => {
    const ns = namespace("swr");
    const time = clock();
    const loader = counted((n) => n);
    await cache(sql, ns, { now: time.now }, 1_000, 60_000).getOrLoad("k", loader.load);
    time.advance(5_000);
    // another isolate: its own tier is empty, the shared entry is stale
    const other = cache(sql, ns, { now: time.now }, 1_000, 60_000);
    assert.deepEqual(await other.getOrLoad("k", loader.load), { value: 1, source: "stale" });
    await other.settled();
    assert.deepEqual([await other.getOrLoad("k", loader.load), loader.calls], [{
      value: 2,
      source: "isolate",
    }, 2]);
  });
});

const down = () => Promise.reject(new Error("upstream down"));
const staleIfError = { staleIfErrorMs: 3_600_000 };

Deno.test("getOrLoad() serves an entry past its stale window from the shared tier when the loader fails", async () => {
  await withDb(async (sql) => {
    const ns = namespace("sie-shared");
    const time = clock();
    await cache(sql, ns, { now: time.now }, 1_000).getOrLoad("k", () => Promise.resolve(1), staleIfError);
    time.advance(60_000);
    // another isolate: its own tier is empty, the shared entry is past its TTL and kept for errors
    const other = cache(sql, ns, { now: time.now }, 1_000);
    assert.deepEqual(await other.getOrLoad("k", down, staleIfError), { value: 1, source: "stale-if-error" });
  });
});

Deno.test("getOrLoad() serves the isolate tier's expired entry when the loader fails", async () => {
  await withDb(async (sql) => {
    const ns = namespace("sie-isolate");
    const time = clock();
    const c = cache(sql, ns, { now: time.now }, 1_000);
    const options = { ...staleIfError, tags: ["robot:1"] };
    await c.getOrLoad("k", () => Promise.resolve(1), options);
    // only this isolate's tier holds it now
    await sql`delete from optimizer.cache_entries where namespace = ${ns}`;
    time.advance(60_000);
    assert.deepEqual(await c.getOrLoad("k", down, options), { value: 1, source: "stale-if-error" });
  });
});

Deno.test("getOrLoad() serves no stale-if-error entry whose tag a write invalidated", async () => {
  await withDb(async (sql) => {
    const ns = namespace("sie-tag");
    const time = clock();
    const c = cache(sql, ns, { now: time.now }, 1_000);
    await c.getOrLoad("k", () => Promise.resolve(1), { ...staleIfError, tags: ["robot:1"] });
    await c.invalidate(["robot:1"]);
    time.advance(60_000);
    await assert.rejects(c.getOrLoad("k", down, { ...staleIfError, tags: ["robot:1"] }), /upstream down/);
    const other = cache(sql, ns, { now: time.now }, 1_000);
    await assert.rejects(other.getOrLoad("k", down, { ...staleIfError, tags: ["robot:1"] }), /upstream down/);
  });
});

Deno.test("getOrLoad() loads past the stale window while the loader works, and passes on its error without staleIfErrorMs", async () => {
  await withDb(async (sql) => {
    const time = clock();
    const c = cache(sql, namespace("sie-off"), { now: time.now }, 1_000);
    await c.getOrLoad("k", () => Promise.resolve(1), staleIfError);
    time.advance(60_000);
    assert.deepEqual(await c.getOrLoad("k", () => Promise.resolve(2), staleIfError), {
      value: 2,
      source: "loader",
    });
    time.advance(60_000);
    await assert.rejects(c.getOrLoad("k", down), /upstream down/);
  });
});

Deno.test("cache_evict() keeps an entry through its error window and deletes it after", async () => {
  await withDb(async (sql) => {
    const ns = namespace("sie-evict");
    const stored = Date.now();
    await cache(sql, ns, { now: () => new Date(stored) }, 1_000).getOrLoad("k", () => Promise.resolve(1), {
      staleIfErrorMs: 10_000,
    });
    const left = async (atMs: number) => {
      await sql`select optimizer.cache_evict(${Number.MAX_SAFE_INTEGER}, ${new Date(atMs)})`;
      const rows = await sql`select 1 from optimizer.cache_entries where namespace = ${ns}`;
      return rows.length;
    };
    assert.equal(await left(stored + 5_000), 1, "past its TTL, inside its error window");
    assert.equal(await left(stored + 11_001), 0);
  });
});

Deno.test("getOrLoad() loads once for concurrent misses of one key in an isolate", async () => {
  await withDb(async (sql) => {
    const c = cache(sql, namespace("flight"));
    const loader = counted((n) => n);
    const reads = await Promise.all(Array.from({ length: 5 }, () => c.getOrLoad("k", loader.load)));
    assert.deepEqual([reads.map((r) => r.value), loader.calls], [[1, 1, 1, 1, 1], 1]);
  });
});

Deno.test("getOrLoad() keeps a value storeIf refuses out of both tiers", async () => {
  await withDb(async (sql) => {
    const c = cache(sql, namespace("store-if"));
    const loader = counted((n) => ({ status: n === 1 ? 503 : 200 }));
    const storeIf = (answer: { status: number }) => answer.status === 200;
    const reads = [];
    for (let i = 0; i < 3; i++) reads.push(await c.getOrLoad("k", loader.load, { storeIf }));
    assert.deepEqual(reads.map((r) => [r.value.status, r.source]), [[503, "loader"], [200, "loader"], [
      200,
      "isolate",
    ]]);
  });
});

Deno.test("getOrLoad() keeps values Postgres text cannot hold raw, NUL and lone surrogates, intact", async () => {
  await withDb(async (sql) => {
    const ns = namespace("awkward");
    const awkward = { text: "a\u0000b\ud800c" };
    await cache(sql, ns).getOrLoad("k", () => Promise.resolve(awkward));
    assert.deepEqual(await cache(sql, ns).getOrLoad("k", () => Promise.resolve(null)), {
      value: awkward,
      source: "shared",
    });
  });
});

Deno.test("getOrLoad() fails open: without Postgres the loader's value is returned", async () => {
  const sql = createSql({ functionName: "cache-test", url: "postgres://nobody@127.0.0.1:1/none", max: 1 });
  try {
    const errors: unknown[] = [];
    const c = cache(sql, namespace("down"), { onError: (error) => errors.push(error) });
    assert.deepEqual(await c.getOrLoad("k", () => Promise.resolve(7)), { value: 7, source: "loader" });
    assert.ok(errors.length >= 1, "the failure is told");
  } finally {
    await sql.end();
  }
});

Deno.test("getOrLoad() reports each lookup as a cache event with its tier", async () => {
  await withDb(async (sql) => {
    const events: MetricEvent[] = [];
    const reporter = createMetricReporter({
      sink: (batch) => Promise.resolve(events.push(...batch)),
      flushIntervalMs: 0,
      unloadTarget: null,
    });
    const ns = namespace("events");
    const c = cache(sql, ns, { reporter });
    await c.getOrLoad("k", () => Promise.resolve(1));
    await c.getOrLoad("k", () => Promise.resolve(1));
    await reporter.settled();
    assert.deepEqual(events.map((e) => [e.system, e.target, e.kind, e.cache, e.attrs?.tier]), [
      ["cache", ns, "lookup", "miss", "loader"],
      ["cache", ns, "lookup", "hit", "isolate"],
    ]);
  });
});

Deno.test("cache_evict() removes the entries of the lowest read priority beyond the budget and records evictions", async () => {
  await withDb(async (sql) => {
    const ns = namespace("evict");
    const c = cache(sql, ns);
    for (const key of ["a", "b", "c"]) await c.getOrLoad(key, () => Promise.resolve("x".repeat(100)));
    // the three rank below every other entry: the first to go, `c` first (equal priorities go by namespace, then key)
    await sql`update optimizer.cache_entries set read_priority = -1 where namespace = ${ns}`;
    // expired entries of other tests go first, whatever the budget
    await sql`select optimizer.cache_evict(${Number.MAX_SAFE_INTEGER})`;
    const [{ total }] = await sql<
      { total: string }[]
    >`select sum(bytes)::text as total from optimizer.cache_entries`;
    const [{ evicted }] = await sql<{ evicted: number }[]>`
      select optimizer.cache_evict(${Number(total) - 1}) as evicted`;
    const left = await sql<{ key: string }[]>`
      select key from optimizer.cache_entries where namespace = ${ns} order by key`;
    const [{ weight }] = await sql<{ weight: number }[]>`
      select coalesce(sum(weight), 0)::int as weight from optimizer.metric_events
      where system = 'cache' and target = ${ns} and kind = 'eviction' and reporter = 'job:optimizer-cache-evict'`;
    const remembered = await sql<{ key: string }[]>`
      select key from optimizer.cache_read_history where namespace = ${ns}`;
    assert.deepEqual({
      evicted,
      left: left.map((row) => row.key),
      weight,
      remembered: remembered.map((row) => row.key),
    }, {
      evicted: 1,
      left: ["a", "b"],
      weight: 1,
      remembered: ["c"],
    });
  });
});

/** The events of kind evicted_read namespace `ns` has. */
async function evictedReads(sql: Sql, ns: string): Promise<number> {
  const [{ n }] = await sql<{ n: number }[]>`
    select count(*)::int as n from optimizer.metric_events
    where system = 'cache' and target = ${ns} and kind = 'evicted_read' and reporter = 'cache:shared-tier'`;
  return n;
}

Deno.test("a key evicted for size while fresh and stored again before it would have gone stale reports its miss as the budget's", async () => {
  await withDb(async (sql) => {
    const ns = namespace("evicted-read");
    await cache(sql, ns).getOrLoad("k", () => Promise.resolve("x".repeat(100)));
    // below every other entry, other tests' too: the first to go for size
    await sql`update optimizer.cache_entries set read_priority = -1e9 where namespace = ${ns}`;
    await sql`select optimizer.cache_evict(${Number.MAX_SAFE_INTEGER})`;
    const [{ total }] = await sql<{ total: string }[]>`
      select sum(bytes)::text as total from optimizer.cache_entries`;
    await sql`select optimizer.cache_evict(${Number(total) - 1})`;
    const [mark] = await sql`
      select evicted_fresh_until is not null as marked from optimizer.cache_read_history where namespace = ${ns}`;
    assert.equal(mark.marked, true);
    // another isolate: its own tier is empty, so the read misses and stores the key again
    await cache(sql, ns).getOrLoad("k", () => Promise.resolve("x".repeat(100)));
    assert.equal(await evictedReads(sql, ns), 1);
  });
});

Deno.test("a key that expired and is stored again reports no miss of the budget's", async () => {
  await withDb(async (sql) => {
    const ns = namespace("expired-read");
    const time = clock();
    await cache(sql, ns, { now: time.now }, 1_000).getOrLoad("k", () => Promise.resolve(1));
    time.advance(60_000);
    await sql`select optimizer.cache_evict(${Number.MAX_SAFE_INTEGER}, ${time.now()})`;
    await cache(sql, ns, { now: time.now }, 1_000).getOrLoad("k", () => Promise.resolve(2));
    assert.equal(await evictedReads(sql, ns), 0);
  });
});

Deno.test("optimizer.cache_read_priority() computes what readPriority() does", async () => {
  await withDb(async (sql) => {
    const base = Date.UTC(2026, 10, 29, 10, 0, 0);
    const cases: [ReadMark | null, number][] = [
      [null, base + 17_000],
      [readPriority(null, base), base + 59_999],
      [readPriority(null, base), base - MINUTE_MS],
      [readPriority(null, base), base + MINUTE_MS],
      [readPriority(readPriority(null, base), base + 3 * MINUTE_MS), base + 18 * MINUTE_MS],
      [readPriority(null, base), base + 900 * MINUTE_MS],
      [readPriority(null, base), base + 2_000_000 * MINUTE_MS],
    ];
    for (const [previous, atMs] of cases) {
      const [{ priority }] = await sql<{ priority: number }[]>`
        select optimizer.cache_read_priority(
          ${previous?.priority ?? null}::double precision,
          ${previous === null ? null : new Date(previous.minuteMs).toISOString()}::timestamptz,
          ${new Date(atMs).toISOString()}) as priority`;
      const expected = readPriority(previous, atMs).priority;
      assert.ok(
        Math.abs(priority - expected) < 1e-9,
        `${JSON.stringify(previous)} at ${atMs}: ${priority} ≠ ${expected}`,
      );
    }
  });
});

/**
 * Reads of `key` (tagged `tag:<key>`) that each reach the shared tier: every read through a cache of its own,
 * whose isolate tier holds no entry, at `time`'s clock. An entry is fresh for an hour.
 */
function sharedTierReader(sql: Sql, ns: string, time: ReturnType<typeof clock>) {
  return (key: string) =>
    createSharedCache({ sql, namespace: ns, reporter: null, now: time.now }, {
      isolateMaxEntries: 0,
      ttlMs: HOUR_MS,
    }).getOrLoad(key, () => Promise.resolve(key), { tags: [`tag:${key}`] });
}

Deno.test("cache_get() ranks a key read in several minutes above one read once since", async () => {
  await withDb(async (sql) => {
    const ns = namespace("rank");
    const time = clock();
    const read = sharedTierReader(sql, ns, time);
    for (let minute = 0; minute < 4; minute++, time.advance(MINUTE_MS)) await read("often");
    await read("once");
    const rows = await sql<{ key: string }[]>`
      select key from optimizer.cache_entries where namespace = ${ns} order by read_priority desc`;
    assert.deepEqual(rows.map((row) => row.key), ["often", "once"]);
  });
});

Deno.test("cache_put() starts a key stored again after an invalidation from the read marks it left", async () => {
  await withDb(async (sql) => {
    const ns = namespace("history");
    const time = clock();
    const read = sharedTierReader(sql, ns, time);
    for (let minute = 0; minute < 4; minute++, time.advance(MINUTE_MS)) await read("k");
    const [before] = await sql<{ read_priority: number; read_at: Date }[]>`
      select read_priority, read_at from optimizer.cache_entries where namespace = ${ns}`;
    await cache(sql, ns).invalidate(["tag:k"]);
    const [history] = await sql<{ read_priority: number }[]>`
      select read_priority from optimizer.cache_read_history where namespace = ${ns}`;
    await read("k");
    const [after] = await sql<{ read_priority: number }[]>`
      select read_priority from optimizer.cache_entries where namespace = ${ns}`;
    const expected = readPriority(
      { priority: before.read_priority, minuteMs: before.read_at.getTime() },
      time.now().getTime(),
    );
    assert.equal(history.read_priority, before.read_priority);
    assert.ok(Math.abs(after.read_priority - expected.priority) < 1e-9);
  });
});

Deno.test("cache_evict() forgets read marks older than historyMinutes and keeps at most 100,000", async () => {
  await withDb(async (sql) => {
    const ns = namespace("forget");
    const historyMs = readPriorityDefaults.historyMinutes * MINUTE_MS;
    await sql`
      insert into optimizer.cache_read_history (namespace, key, read_at, read_priority)
      values (${ns}, 'old', ${new Date(Date.now() - historyMs - MINUTE_MS)}, 1e9),
        (${ns}, 'recent', now(), 1e9)`;
    // a flood of marks of lower priority than any real one
    await sql`
      insert into optimizer.cache_read_history (namespace, key, read_at, read_priority)
      select ${ns}, 'flood-' || i, now(), -i from pg_catalog.generate_series(1, 100000) i`;
    await sql`select optimizer.cache_evict(${Number.MAX_SAFE_INTEGER})`;
    const [{ total }] = await sql<{ total: number }[]>`
      select count(*)::int as total from optimizer.cache_read_history`;
    const kept = await sql<{ key: string }[]>`
      select key from optimizer.cache_read_history where namespace = ${ns} and key in ('old', 'recent', 'flood-1')`;
    await sql`delete from optimizer.cache_read_history where namespace = ${ns}`;
    assert.deepEqual({ total, kept: kept.map((row) => row.key).sort() }, {
      total: 100_000,
      kept: ["flood-1", "recent"],
    });
  });
});
