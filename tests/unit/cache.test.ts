import assert from "node:assert/strict";
import { cacheSettingsFromEnv, cacheTargets, createLruTtlCache } from "../../bench/reference_app/cache.ts";

function fakeClock(start = 0) {
  let now = start;
  return { clock: () => now, advance: (ms: number) => void (now += ms) };
}

Deno.test("a stored value is a hit until its TTL passes, then a miss", () => {
  const time = fakeClock();
  const cache = createLruTtlCache<string>({ maxEntries: 10, ttlMs: 1000, clock: time.clock });
  cache.set("a", "1");
  time.advance(999);
  assert.equal(cache.get("a"), "1");
  time.advance(1);
  assert.equal(cache.get("a"), undefined);
  assert.deepEqual(cache.stats(), {
    hits: 1,
    misses: 1,
    evictions: 0,
    expirations: 1,
    invalidations: 0,
    entries: 0,
    bytes: 0,
  });
});

Deno.test("read() of an expired entry says how long ago it expired; other reads say null", () => {
  const time = fakeClock();
  const cache = createLruTtlCache<string>({ maxEntries: 10, ttlMs: 1000, clock: time.clock });
  assert.deepEqual(cache.read("a"), { value: undefined, expiredMs: null });
  cache.set("a", "1");
  assert.deepEqual(cache.read("a"), { value: "1", expiredMs: null });
  time.advance(1250);
  assert.deepEqual(cache.read("a"), { value: undefined, expiredMs: 250 });
  assert.deepEqual(cache.read("a"), { value: undefined, expiredMs: null });
});

Deno.test("a hit does not extend the TTL: entries expire ttlMs after they were stored", () => {
  const time = fakeClock();
  const cache = createLruTtlCache<string>({ maxEntries: 10, ttlMs: 100, clock: time.clock });
  cache.set("a", "1");
  time.advance(60);
  assert.equal(cache.get("a"), "1");
  time.advance(60);
  assert.equal(cache.get("a"), undefined);
});

Deno.test("beyond maxEntries the least recently used entry is evicted", () => {
  const cache = createLruTtlCache<string>({ maxEntries: 2, ttlMs: 1000, clock: () => 0 });
  cache.set("a", "1");
  cache.set("b", "2");
  assert.equal(cache.get("a"), "1"); // b is now the least recently used
  cache.set("c", "3");
  assert.equal(cache.get("b"), undefined);
  assert.equal(cache.get("a"), "1");
  assert.equal(cache.get("c"), "3");
  assert.equal(cache.stats().evictions, 1);
});

Deno.test("evictions follow least recent use across many keys", () => {
  const cache = createLruTtlCache<number>({ maxEntries: 3, ttlMs: 1000, clock: () => 0 });
  for (const key of ["a", "b", "c"]) cache.set(key, 1);
  cache.get("a");
  cache.get("b");
  cache.set("d", 1); // evicts c
  cache.get("a");
  cache.set("e", 1); // evicts b
  assert.deepEqual(["a", "b", "c", "d", "e"].map((key) => cache.get(key) !== undefined), [
    true,
    false,
    false,
    true,
    true,
  ]);
});

Deno.test("maxBytes evicts until the stored sizes fit, and never stores a value larger than the budget", () => {
  const cache = createLruTtlCache<string>({ maxEntries: 100, maxBytes: 20, ttlMs: 1000, clock: () => 0 });
  cache.set("a", "xxxx"); // 8 bytes (UTF-16)
  cache.set("b", "xxxx");
  cache.set("c", "xxxx"); // 24 > 20: a goes
  assert.equal(cache.get("a"), undefined);
  assert.equal(cache.stats().bytes, 16);
  cache.set("huge", "x".repeat(11));
  assert.equal(cache.get("huge"), undefined);
  assert.equal(cache.stats().entries, 2);
});

Deno.test("overwriting a key replaces its value, size and TTL", () => {
  const time = fakeClock();
  const cache = createLruTtlCache<string>({ maxEntries: 5, ttlMs: 100, clock: time.clock });
  cache.set("a", "1");
  time.advance(90);
  cache.set("a", "22");
  time.advance(50);
  assert.equal(cache.get("a"), "22");
  assert.equal(cache.stats().entries, 1);
  assert.equal(cache.stats().bytes, 4);
});

Deno.test("invalidating a tag drops exactly that user's entries", () => {
  const cache = createLruTtlCache<string>({ maxEntries: 10, ttlMs: 1000, clock: () => 0 });
  cache.set("count:u1", "1", { tag: "u1" });
  cache.set("robot:u1:r", "1", { tag: "u1" });
  cache.set("count:u2", "1", { tag: "u2" });
  cache.set("quote:EURUSD:M1", "1");
  assert.equal(cache.invalidateTag("u1"), 2);
  assert.equal(cache.invalidateTag("u1"), 0);
  assert.equal(cache.get("count:u1"), undefined);
  assert.equal(cache.get("count:u2"), "1");
  assert.equal(cache.get("quote:EURUSD:M1"), "1");
  assert.equal(cache.stats().invalidations, 2);
});

Deno.test("hit and miss counters count every lookup", () => {
  const cache = createLruTtlCache<string>({ maxEntries: 10, ttlMs: 1000, clock: () => 0 });
  cache.get("a");
  cache.set("a", "1");
  cache.get("a");
  cache.get("a");
  cache.get("b");
  const { hits, misses } = cache.stats();
  assert.deepEqual({ hits, misses }, { hits: 2, misses: 2 });
});

Deno.test("bad sizes are refused with the option's name", () => {
  assert.throws(
    () => createLruTtlCache({ maxEntries: 0, ttlMs: 1 }),
    /maxEntries must be a whole number >= 1: got 0/,
  );
  assert.throws(() => createLruTtlCache({ maxEntries: 1, ttlMs: 1.5 }), /ttlMs/);
  assert.throws(() => createLruTtlCache({ maxEntries: 1, ttlMs: 1, maxBytes: -1 }), /maxBytes/);
});

Deno.test("the cache is off unless APP_CACHE names one, with defaults for the sizes", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(cacheSettingsFromEnv(env({})), { mode: "off" });
  assert.deepEqual(cacheSettingsFromEnv(env({ APP_CACHE: "lru-ttl" })), {
    mode: "lru-ttl",
    ttlMs: 30_000,
    maxEntries: 1000,
    maxBytes: undefined,
  });
  assert.deepEqual(
    cacheSettingsFromEnv(
      env({
        APP_CACHE: "lru-ttl",
        APP_CACHE_TTL_MS: "500",
        APP_CACHE_MAX_ENTRIES: "7",
        APP_CACHE_MAX_BYTES: "1024",
      }),
    ),
    { mode: "lru-ttl", ttlMs: 500, maxEntries: 7, maxBytes: 1024 },
  );
  assert.deepEqual(cacheSettingsFromEnv(env({ APP_CACHE: "shared", APP_CACHE_TTL_MS: "500" })), {
    mode: "shared",
    ttlMs: 500,
    maxEntries: 1000,
    maxBytes: undefined,
  });
});

Deno.test("malformed cache switches name the variable to fix", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.throws(
    () => cacheSettingsFromEnv(env({ APP_CACHE: "redis" })),
    /APP_CACHE must be one of "off", "lru-ttl", "shared": got "redis"/,
  );
  assert.throws(
    () => cacheSettingsFromEnv(env({ APP_CACHE: "lru-ttl", APP_CACHE_TTL_MS: "soon" })),
    /APP_CACHE_TTL_MS must be a whole number >= 1: got "soon"/,
  );
});

Deno.test("APP_CACHE_OWNED_TTL_MS sets the shared cache's TTL of a user's own reads", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(
    cacheSettingsFromEnv(
      env({ APP_CACHE: "shared", APP_CACHE_TTL_MS: "500", APP_CACHE_OWNED_TTL_MS: "9000" }),
    ),
    { mode: "shared", ttlMs: 500, maxEntries: 1000, maxBytes: undefined, ownedTtlMs: 9000 },
  );
});

Deno.test("APP_CACHE_OWNED_TTL_MS is refused with the lru-ttl cache, whose invalidation stays in one isolate", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.throws(
    () => cacheSettingsFromEnv(env({ APP_CACHE: "lru-ttl", APP_CACHE_OWNED_TTL_MS: "9000" })),
    /APP_CACHE_OWNED_TTL_MS needs APP_CACHE=shared/,
  );
});

Deno.test("APP_CACHE_STALE_IF_ERROR_MS keeps the shared cache's entries for failed loads, and needs APP_CACHE=shared", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(
    cacheSettingsFromEnv(env({ APP_CACHE: "shared", APP_CACHE_STALE_IF_ERROR_MS: "3600000" })),
    { mode: "shared", ttlMs: 30_000, maxEntries: 1000, maxBytes: undefined, staleIfErrorMs: 3_600_000 },
  );
  assert.throws(
    () => cacheSettingsFromEnv(env({ APP_CACHE: "lru-ttl", APP_CACHE_STALE_IF_ERROR_MS: "60000" })),
    /APP_CACHE_STALE_IF_ERROR_MS needs APP_CACHE=shared/,
  );
});

Deno.test("APP_CACHE_TARGETS limits the cache to the lookup targets it names", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(
    cacheSettingsFromEnv(env({ APP_CACHE: "shared", APP_CACHE_TARGETS: " market-data.quote, robots.get" })),
    {
      mode: "shared",
      ttlMs: 30_000,
      maxEntries: 1000,
      maxBytes: undefined,
      targets: ["market-data.quote", "robots.get"],
    },
  );
  assert.equal(cacheSettingsFromEnv(env({ APP_CACHE: "shared", APP_CACHE_TARGETS: " " })).mode, "shared");
  assert.equal(
    "targets" in cacheSettingsFromEnv(env({ APP_CACHE: "shared", APP_CACHE_TARGETS: " " })),
    false,
  );
});

Deno.test("APP_CACHE_TARGETS refuses a target the app does not cache, naming those it does", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.throws(
    () => cacheSettingsFromEnv(env({ APP_CACHE: "lru-ttl", APP_CACHE_TARGETS: "market-data.qoute" })),
    /APP_CACHE_TARGETS names market-data\.qoute, which the app does not cache: use some of robots\.get, /,
  );
});

Deno.test("cacheTargets lists every lookup target the app's functions read through the cache", async () => {
  const functions = new URL("../../bench/reference_app/functions/", import.meta.url);
  const used = new Set<string>();
  for (const fn of ["robots", "robot-chat", "market-data"]) {
    const source = await Deno.readTextFile(new URL(`${fn}/index.ts`, functions));
    for (const match of source.matchAll(/target: "([^"]+)"/g)) used.add(match[1]);
  }
  assert.deepEqual([...used].sort(), [...cacheTargets].sort());
});
