import assert from "node:assert/strict";
import { beladyMin, lru, lruTtl, sharedTier, simulateCache } from "../../bench/sim/cache.ts";
import { buildCacheOps, type CacheOps, type CacheRequest } from "../../bench/sim/cache_ops.ts";
import { createRng } from "../../bench/trace/prng.ts";
import { generateTrace } from "../../bench/trace/generate.ts";
import { readPriorityDefaults } from "../../shared/cache/read_priority.ts";
import { MINUTE_MS } from "../../shared/time.ts";

function read(key: string, atMs = 0, userIndex = 0, fn = "robots"): CacheRequest {
  return { atMs, fn, endpoint: fn === "market-data" ? "market.quote" : "robots.get", userIndex, key };
}

function write(userIndex: number, atMs = 0): CacheRequest {
  return { atMs, fn: "robots", endpoint: "robots.update", userIndex, key: "" };
}

/** Hits per read, in order. */
function hitsOf(ops: CacheOps, cache: ReturnType<ReturnType<typeof lru>["create"]>): boolean[] {
  const hits: boolean[] = [];
  for (let r = 0; r < ops.reads; r++) {
    for (let i = ops.invalidationBounds[r]; i < ops.invalidationBounds[r + 1]; i++) {
      cache.invalidate(ops.invalidated[i]);
    }
    hits.push(cache.access(ops.item[r], ops.atMs[r], ops.nextUse[r], ops.itemKey[ops.item[r]]));
  }
  return hits;
}

/** The most hits any demand cache (bypass allowed) can get: every choice on every miss, tried. */
function bruteForceHits(ops: CacheOps, capacity: number): number {
  const best = (r: number, cached: ReadonlySet<number>): number => {
    if (r === ops.reads) return 0;
    const inCache = new Set(cached);
    for (let i = ops.invalidationBounds[r]; i < ops.invalidationBounds[r + 1]; i++) {
      inCache.delete(ops.invalidated[i]);
    }
    const item = ops.item[r];
    if (inCache.has(item)) return 1 + best(r + 1, inCache);
    let most = best(r + 1, inCache);
    if (inCache.size < capacity) return Math.max(most, best(r + 1, new Set([...inCache, item])));
    for (const victim of inCache) {
      const next = new Set(inCache);
      next.delete(victim);
      next.add(item);
      most = Math.max(most, best(r + 1, next));
    }
    return most;
  };
  return best(0, new Set());
}

function randomRequests(seed: number, count: number, keys: number, users: number): CacheRequest[] {
  const random = createRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const user = Math.floor(random() * users);
    if (random() < 0.1) return write(user, i * 1_000);
    const key = Math.floor(random() ** 2 * keys);
    return read(`k${key}`, i * 1_000, user, key % 3 === 0 ? "market-data" : "robots");
  });
}

Deno.test("lru evicts the least recently used entry", () => {
  const ops = buildCacheOps(["a", "b", "a", "c", "b", "a"].map((key) => read(key)));
  assert.deepEqual(hitsOf(ops, lru().create(2)), [false, false, true, false, false, false]);
  const withRoom = buildCacheOps(["a", "b", "a", "c", "a"].map((key) => read(key)));
  assert.deepEqual(
    hitsOf(withRoom, lru().create(2)),
    [false, false, true, false, true],
    "c evicted b, not a",
  );
});

Deno.test("lru+ttl misses an entry ttlMs after it was stored, even if it was read meanwhile", () => {
  const ops = buildCacheOps([read("a", 0), read("a", 999), read("a", 1_000), read("a", 1_500)]);
  const cache = lruTtl(1_000).create(10);
  assert.deepEqual(hitsOf(ops, cache), [false, true, false, true]);
  assert.deepEqual(cache.counters?.(), { expiredMisses: 1 });
});

Deno.test("a write invalidates the keys its user read through robots or robot-chat since their last write", () => {
  const ops = buildCacheOps([
    read("robots.list:u1", 0, 1),
    read("quote:EURUSD", 1, 1, "market-data"),
    read("robots.list:u2", 2, 2),
    write(1, 3),
    read("robots.list:u1", 4, 1),
    read("quote:EURUSD", 5, 1, "market-data"),
    read("robots.list:u2", 6, 2),
    write(2, 7),
    write(2, 8),
    read("robots.list:u2", 9, 2),
  ]);
  assert.deepEqual([...ops.item], [0, 1, 2, 3, 1, 2, 4]);
  assert.deepEqual([...ops.invalidated], [0, 2]);
  assert.deepEqual([...ops.invalidationBounds], [0, 0, 0, 0, 1, 1, 1, 2]);
  assert.equal(ops.compulsoryMisses, 5);
  assert.equal(ops.writes, 3);
  assert.deepEqual(hitsOf(ops, lru().create(100)), [false, false, false, false, true, true, false]);
});

Deno.test("next uses are the positions of each item's next read, or the read count when there is none", () => {
  const ops = buildCacheOps(["a", "b", "a", "a", "c"].map((key) => read(key)));
  assert.deepEqual([...ops.nextUse], [2, 5, 3, 5, 5]);
});

Deno.test("Belady's MIN equals a brute-force optimum on tiny traces", () => {
  for (let seed = 1; seed <= 60; seed++) {
    const ops = buildCacheOps(randomRequests(seed, 11, 5, 2));
    for (const capacity of [1, 2, 3]) {
      assert.equal(
        simulateCache(ops, beladyMin(), capacity).hits,
        bruteForceHits(ops, capacity),
        `seed ${seed}, capacity ${capacity}`,
      );
    }
  }
});

Deno.test("Belady's MIN hits at least as often as lru and lru+ttl on seeded random traces", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const ops = buildCacheOps(randomRequests(seed, 3_000, 400, 30));
    for (const capacity of [4, 16, 64, 256]) {
      const min = simulateCache(ops, beladyMin(), capacity).hits;
      for (const policy of [lru(), lruTtl(20_000), sharedTier()]) {
        const hits = simulateCache(ops, policy, capacity).hits;
        assert.ok(min >= hits, `${policy.name}: ${hits} > MIN ${min}, seed ${seed}, capacity ${capacity}`);
      }
      assert.ok(ops.reads - min >= ops.compulsoryMisses, "MIN still misses every first read");
    }
  }
});

Deno.test("Belady's MIN with a cache holding every item misses only the compulsory reads", () => {
  const ops = buildCacheOps(generateTrace({ seed: 3, durationMs: 86_400_000, users: 40 }).requests);
  assert.equal(simulateCache(ops, beladyMin(), ops.items).misses, ops.compulsoryMisses);
  assert.equal(simulateCache(ops, lru(), ops.items).misses, ops.compulsoryMisses);
});

/** Reads of `key`, one per listed minute. */
const readsIn = (key: string, ...minutes: number[]) => minutes.map((m) => read(key, m * MINUTE_MS));

Deno.test("sharedTier() keeps a key read in many minutes over one read once since, where lru does not", () => {
  const ops = buildCacheOps([
    ...readsIn("a", 0, 1, 2, 3),
    ...readsIn("b", 4),
    ...readsIn("c", 5),
    ...readsIn("a", 6),
  ]);
  assert.deepEqual(hitsOf(ops, sharedTier().create(2)), [false, true, true, true, false, false, true]);
  assert.deepEqual(hitsOf(ops, lru().create(2)), [false, true, true, true, false, false, false]);
});

Deno.test("sharedTier() gives a key invalidated by a write the worth its reads had", () => {
  const ops = buildCacheOps([
    ...readsIn("a", 0, 1, 2, 3),
    write(0, 4 * MINUTE_MS),
    ...readsIn("a", 5),
    ...readsIn("b", 6),
    ...readsIn("c", 7),
    ...readsIn("a", 8),
  ]);
  assert.deepEqual(hitsOf(ops, sharedTier().create(2)).slice(4), [false, false, false, true]);
});

Deno.test("sharedTier() forgets the reads of a key gone for longer than historyMinutes", () => {
  const again = 3 + readPriorityDefaults.historyMinutes + 2;
  const ops = buildCacheOps([
    ...readsIn("a", 0, 1, 2, 3),
    write(0, 4 * MINUTE_MS),
    ...readsIn("a", again),
    ...readsIn("b", again + 1),
    ...readsIn("c", again + 2),
    ...readsIn("a", again + 3),
  ]);
  // `a` comes back as a stranger, read before `b`: the first to go
  assert.deepEqual(hitsOf(ops, sharedTier().create(2)).slice(4), [false, false, false, false]);
});

Deno.test("simulateCache() refuses a capacity that is not a positive integer", () => {
  const ops = buildCacheOps([read("a")]);
  assert.throws(() => simulateCache(ops, lru(), 0), /cache capacity must be an integer >= 1: got 0/);
});
