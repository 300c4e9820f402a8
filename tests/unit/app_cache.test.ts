import assert from "node:assert/strict";
import type { MetricEvent } from "../../shared/metrics/metric_event.ts";
import type { MetricReporter } from "../../shared/metrics/metric_reporter.ts";
import {
  createAppCache,
  jsonPayload,
  payloadResponse,
} from "../../bench/reference_app/functions/_shared/app_cache.ts";

function recordingReporter() {
  const events: MetricEvent[] = [];
  const reporter: MetricReporter = {
    record: (event) => void events.push(event),
    flush: () => Promise.resolve(),
    settled: () => Promise.resolve(),
    counters: () => ({ sent: 0, dropped: 0, failed: 0, buffered: 0 }),
  };
  return { events, reporter };
}

const lruTtl = { mode: "lru-ttl", ttlMs: 60_000, maxEntries: 100 } as const;
const lookup = { target: "market-data.quote", key: "quote:EURUSD:M1" };

Deno.test("a second read of the same key is served from the cache and both lookups are reported", async () => {
  const { events, reporter } = recordingReporter();
  const cache = createAppCache({ settings: lruTtl, reporter });
  let loads = 0;
  const load = () => Promise.resolve(jsonPayload({ n: ++loads }));
  const first = await cache.read(lookup, load);
  const second = await cache.read(lookup, load);
  assert.deepEqual([first.hit, second.hit], [false, true]);
  assert.equal(second.body, first.body);
  assert.equal(loads, 1);
  assert.deepEqual(
    events.map((event) => [event.system, event.kind, event.target, event.cache]),
    [["cache", "lookup", "market-data.quote", "miss"], ["cache", "lookup", "market-data.quote", "hit"]],
  );
});

Deno.test("a miss of an expired entry reports the TTL and how long ago it expired", async () => {
  const { events, reporter } = recordingReporter();
  let at = 0;
  const cache = createAppCache({
    settings: { ...lruTtl, ttlMs: 1000 },
    reporter,
    now: () => new Date(at),
  });
  const load = () => Promise.resolve(jsonPayload({ ok: 1 }));
  await cache.read(lookup, load);
  at = 1400;
  await cache.read(lookup, load);
  assert.deepEqual(events.map((event) => [event.cache, event.attrs]), [
    ["miss", undefined],
    ["miss", { ttlMs: 1000, expiredMs: 400 }],
  ]);
});

Deno.test("failed and uncacheable answers are not stored", async () => {
  const cache = createAppCache({ settings: lruTtl, reporter: null });
  await cache.read(lookup, () => Promise.resolve(jsonPayload({ error: "down" }, 502)));
  assert.equal((await cache.read(lookup, () => Promise.resolve(jsonPayload({ ok: 1 })))).hit, false);
  const other = { target: "robots.get", key: "robot:u:r" };
  await cache.read(other, () => Promise.resolve({ ...jsonPayload({ ok: 1 }), cacheable: false }));
  assert.equal((await cache.read(other, () => Promise.resolve(jsonPayload({ ok: 1 })))).hit, false);
});

Deno.test("a user's write drops what was cached for that user only", async () => {
  const cache = createAppCache({ settings: lruTtl, reporter: null });
  const load = () => Promise.resolve(jsonPayload({ count: 1 }));
  await cache.read({ target: "robots.count", key: "count:u1", userId: "u1" }, load);
  await cache.read({ target: "robots.count", key: "count:u2", userId: "u2" }, load);
  await cache.invalidateUser("u1", ["robots.count"]);
  assert.equal(
    (await cache.read({ target: "robots.count", key: "count:u1", userId: "u1" }, load)).hit,
    false,
  );
  assert.equal((await cache.read({ target: "robots.count", key: "count:u2", userId: "u2" }, load)).hit, true);
});

/** Reads `lookup` twice through a cache with `settings`: the loads, the second answer and the events reported. */
async function readTwice(settings: Parameters<typeof createAppCache>[0]["settings"]) {
  const { events, reporter } = recordingReporter();
  const cache = createAppCache({ settings, reporter });
  let loads = 0;
  const load = () => Promise.resolve(jsonPayload({ n: ++loads }));
  await cache.read(lookup, load);
  const second = await cache.read(lookup, load);
  return { loads, second, events };
}

Deno.test("with the cache off every read loads, nothing is reported and no x-cache header is sent", async () => {
  const { loads, second, events } = await readTwice({ mode: "off" });
  assert.equal(loads, 2);
  assert.equal(second.hit, null);
  assert.equal(events.length, 0);
  assert.equal(payloadResponse(second, "req-1").headers.get("x-cache"), null);
});

Deno.test("reads of a target the cache does not cover load every time and report nothing", async () => {
  const { loads, second, events } = await readTwice({ ...lruTtl, targets: ["robots.get"] });
  assert.equal(loads, 2);
  assert.equal(second.hit, null);
  assert.equal(events.length, 0);
});

Deno.test("a covered target is cached when the cache covers only some targets", async () => {
  const { loads, second } = await readTwice({ ...lruTtl, targets: ["market-data.quote"] });
  assert.equal(second.hit, true);
  assert.equal(loads, 1);
});

Deno.test("the response carries the payload's status, JSON type, request id and x-cache", async () => {
  const response = payloadResponse({ ...jsonPayload({ a: 1 }), hit: true }, "req-2");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-cache"), "hit");
  assert.equal(response.headers.get("x-request-id"), "req-2");
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  assert.deepEqual(await response.json(), { a: 1 });
});

Deno.test("the shared cache refuses to start without the app's database client", () => {
  assert.throws(
    () => createAppCache({ settings: { ...lruTtl, mode: "shared" }, reporter: null }),
    /APP_CACHE=shared needs the app's database client/,
  );
});
