import assert from "node:assert/strict";
import {
  allowedSystems,
  checkEventCounts,
  checkEventSystems,
  checkEventTimes,
  ingestLimits,
  maxEventCount,
  MetricBatchSchema,
  MetricEventSchema,
  reporterOf,
  toStorageRows,
} from "../../shared/metrics/metric_event.ts";
import { fieldIssues } from "../../shared/http/validation.ts";

const valid = {
  occurredAt: "2025-06-01T12:00:00.000Z",
  system: "db",
  target: "public.orders",
  kind: "query",
  latencyMs: 12.5,
};

function issuesOf(input: unknown) {
  const result = MetricBatchSchema.safeParse(input);
  assert.equal(result.success, false);
  return fieldIssues(result.error!);
}

Deno.test("MetricEventSchema fills error and coldStart with false and keeps optional fields absent", () => {
  assert.deepEqual(MetricEventSchema.parse(valid), { ...valid, error: false, coldStart: false });
});

Deno.test("MetricBatchSchema reports each bad field with its path in the batch", () => {
  const issues = issuesOf({
    events: [
      valid,
      { ...valid, latencyMs: -1 },
      { ...valid, system: "queue", kind: "Bad-Kind" },
      { ...valid, latencyMs: 3_600_001, cache: "maybe" },
    ],
  });
  assert.deepEqual(issues.map((issue) => issue.path), [
    "events[1].latencyMs",
    "events[2].system",
    "events[2].kind",
    "events[3].latencyMs",
    "events[3].cache",
  ]);
  assert.equal(issues[0].message, "must be >= 0");
  assert.match(issues[1].message, /one of db, cache, edge, app/);
});

Deno.test("MetricEventSchema rejects unknown fields and dates without a time zone", () => {
  const issues = issuesOf({ events: [{ ...valid, latency: 3, occurredAt: "2025-06-01T12:00:00" }] });
  assert.deepEqual(issues.map((issue) => issue.path), ["events[0].occurredAt", "events[0]"]);
  assert.match(issues[1].message, /latency/);
  assert.ok(MetricEventSchema.safeParse({ ...valid, occurredAt: "2025-06-01T14:00:00+02:00" }).success);
});

Deno.test("MetricEventSchema limits target to 200 characters and attrs to 2048 characters of JSON", () => {
  assert.equal(MetricEventSchema.safeParse({ ...valid, target: "" }).success, false);
  assert.equal(MetricEventSchema.safeParse({ ...valid, target: "x".repeat(201) }).success, false);
  assert.ok(
    MetricEventSchema.safeParse({ ...valid, attrs: { region: "eu", status: 200, tags: ["a"] } }).success,
  );
  const big = issuesOf({ events: [{ ...valid, attrs: { blob: "x".repeat(3000) } }] });
  assert.deepEqual(big.map((issue) => issue.path), ["events[0].attrs"]);
});

Deno.test("MetricBatchSchema takes 1 to 1000 events", () => {
  assert.match(issuesOf({ events: [] })[0].message, /at least one event/);
  const tooMany = issuesOf({ events: Array.from({ length: 1001 }, () => valid) });
  assert.deepEqual(tooMany, [{ path: "events", message: "must hold at most 1000 events: split the batch" }]);
  assert.ok(MetricBatchSchema.safeParse({ events: Array.from({ length: 1000 }, () => valid) }).success);
});

Deno.test("checkEventTimes() rejects events older than retention or more than 5 minutes ahead, by path", () => {
  const now = new Date("2025-06-15T00:00:00Z");
  const issues = checkEventTimes(
    [
      { occurredAt: "2025-06-14T23:59:00Z" },
      { occurredAt: "2025-05-31T23:59:59Z" },
      { occurredAt: "2025-06-15T00:04:59Z" },
      { occurredAt: "2025-06-15T00:05:01Z" },
      { occurredAt: "2025-06-01T00:00:01Z" },
    ],
    now,
    14,
  );
  assert.deepEqual(issues.map((issue) => issue.path), ["events[1].occurredAt", "events[3].occurredAt"]);
  assert.match(issues[0].message, /older than the 14-day retention: must be after 2025-06-01T00:00:00.000Z/);
  assert.match(issues[1].message, /more than 5 minutes in the future/);
  assert.throws(() => checkEventTimes([], now, 0), /retentionDays must be a whole number >= 1: got 0/);
});

Deno.test("toStorageRows() produces the snake_case rows optimizer.ingest_metric_events takes", () => {
  const [cacheEvent, bare] = MetricBatchSchema.parse({
    events: [{ ...valid, system: "cache", kind: "lookup", cache: "hit", coldStart: true, attrs: { k: 1 } }, {
      occurredAt: valid.occurredAt,
      system: "app",
      target: "checkout",
      kind: "job",
    }],
  }).events;
  assert.deepEqual(toStorageRows([cacheEvent, bare]), [
    {
      occurred_at: valid.occurredAt,
      system: "cache",
      target: "public.orders",
      kind: "lookup",
      latency_ms: 12.5,
      error: false,
      cold_start: true,
      cache: "hit",
      attrs: { k: 1 },
      weight: 1,
    },
    {
      occurred_at: valid.occurredAt,
      system: "app",
      target: "checkout",
      kind: "job",
      latency_ms: null,
      error: false,
      cold_start: false,
      cache: null,
      attrs: {},
      weight: 1,
    },
  ]);
});

Deno.test("allowedSystems() lets secret keys report anything, users only 'app', publishable keys nothing", () => {
  assert.deepEqual(allowedSystems("secret"), ["db", "cache", "edge", "app"]);
  assert.deepEqual(allowedSystems("user"), ["app"]);
  assert.deepEqual(allowedSystems("publishable"), []);
});

Deno.test("checkEventSystems() names each event a user may not report", () => {
  const events = [{ system: "app" }, { system: "db" }, { system: "app" }] as const;
  assert.deepEqual(checkEventSystems(events, "user"), [
    { path: "events[1].system", message: "a user credential may report only 'app': got 'db'" },
  ]);
  assert.deepEqual(checkEventSystems(events, "secret"), []);
  assert.equal(checkEventSystems(events, "publishable").length, 3);
});

Deno.test("MetricEventSchema takes a whole count from 1 to maxEventCount, naming the bound", () => {
  assert.equal(MetricEventSchema.parse({ ...valid, count: maxEventCount }).count, maxEventCount);
  assert.deepEqual(issuesOf({ events: [{ ...valid, count: 0 }, { ...valid, count: 2.5 }] }), [
    { path: "events[0].count", message: "must be >= 1" },
    { path: "events[1].count", message: "must be a whole number of occurrences" },
  ]);
  assert.deepEqual(issuesOf({ events: [{ ...valid, count: maxEventCount + 1 }] }), [
    { path: "events[0].count", message: `must be <= ${maxEventCount}: split the count over several events` },
  ]);
});

Deno.test("toStorageRows() stores count as the row's weight", () => {
  const [weighted] = MetricBatchSchema.parse({ events: [{ ...valid, count: 40 }] }).events;
  assert.equal(toStorageRows([weighted])[0].weight, 40);
});

Deno.test("checkEventCounts() lets only secret keys send count > 1, naming each event", () => {
  const events = [{ count: 1 }, { count: 5 }, {}];
  assert.deepEqual(checkEventCounts(events, "user"), [
    {
      path: "events[1].count",
      message: "a user credential may not send count > 1 (only a secret key may): got 5",
    },
  ]);
  assert.deepEqual(checkEventCounts(events, "secret"), []);
});

Deno.test("reporterOf() records users as user:<sub> and keys by role and name", () => {
  assert.equal(reporterOf({ mode: "user", userId: "u-1" }), "user:u-1");
  assert.equal(reporterOf({ mode: "secret", keyName: "default" }), "secret:default");
  assert.equal(reporterOf({ mode: "secret", keyName: "service_role" }), "secret:service_role");
});

Deno.test("MetricEventSchema refuses text Postgres cannot store, naming the field", () => {
  const issues = issuesOf({
    events: [
      { ...valid, target: "orders\u0000" },
      { ...valid, kind: "query\u0000" },
      { ...valid, target: "\ud800" },
      { ...valid, attrs: { region: "eu", note: ["ok", "bad\u0000"] } },
      { ...valid, attrs: { "key\ud800": 1 } },
    ],
  });
  assert.deepEqual(issues.map((issue) => issue.path), [
    "events[0].target",
    "events[1].kind",
    "events[2].target",
    "events[3].attrs.note[1]",
    "events[4].attrs.key\ud800",
  ]);
  assert.match(issues[0].message, /NUL/);
  assert.match(issues[2].message, /surrogate/);
});

Deno.test("MetricEventSchema refuses date-times Postgres rejects: offsets from 16 h, long fractions", () => {
  const issues = issuesOf({
    events: [
      { ...valid, occurredAt: "2025-06-01T12:00:00+20:00" },
      { ...valid, occurredAt: `2025-06-01T12:00:00.${"5".repeat(400)}Z` },
    ],
  });
  assert.deepEqual(issues.map((issue) => issue.path), ["events[0].occurredAt", "events[1].occurredAt"]);
  assert.ok(MetricEventSchema.safeParse({ ...valid, occurredAt: "2025-06-01T12:00:00-15:30" }).success);
});

Deno.test("MetricEventSchema refuses attrs nested deeper than 8 levels without overflowing the stack", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  const issues = issuesOf({ events: [{ ...valid, attrs: deep }] });
  assert.equal(issues.length, 1);
  assert.equal(issues[0].path, "events[0].attrs.d.d.d.d.d.d.d.d");
  assert.match(issues[0].message, /deeper than 8 levels/);
});

Deno.test("checkEventTimes() holds events to windowMinutes when given, naming the setting", () => {
  const now = new Date("2025-06-15T00:00:00Z");
  const issues = checkEventTimes(
    [{ occurredAt: "2025-06-14T23:55:30Z" }, { occurredAt: "2025-06-14T23:54:59Z" }],
    now,
    14,
    5,
  );
  assert.deepEqual(issues, [{
    path: "events[1].occurredAt",
    message: "is older than the 5 minutes a user may report back (ingest.userWindowMinutes): " +
      "must be after 2025-06-14T23:55:00.000Z",
  }]);
  assert.throws(() => checkEventTimes([], now, 14, 0), /windowMinutes must be a whole number >= 1 or null/);
});

const ingestSettings = { userWindowMinutes: 5, userEventsPerMinute: 1200, allowAnonymous: false };

Deno.test("ingestLimits() holds users to the ingest settings and leaves secret keys unlimited", () => {
  assert.deepEqual(ingestLimits({ mode: "user", userId: "u", claims: { sub: "u" } }, ingestSettings), {
    refused: null,
    windowMinutes: 5,
    eventsPerMinute: 1200,
  });
  assert.deepEqual(ingestLimits({ mode: "secret", keyName: "default" }, ingestSettings), {
    refused: null,
    windowMinutes: null,
    eventsPerMinute: null,
  });
});

Deno.test("ingestLimits() refuses anonymous sign-ins unless allowAnonymous", () => {
  const anonymous = { mode: "user" as const, userId: "a", claims: { sub: "a", is_anonymous: true } };
  assert.match(
    (ingestLimits(anonymous, ingestSettings) as { refused: string }).refused,
    /anonymous sign-ins may not report events: .*ingest.allowAnonymous/,
  );
  assert.equal(ingestLimits(anonymous, { ...ingestSettings, allowAnonymous: true }).refused, null);
});

Deno.test("MetricBatchSchema takes an optional batchId of request-id characters", () => {
  assert.equal(MetricBatchSchema.parse({ batchId: crypto.randomUUID(), events: [valid] }).events.length, 1);
  assert.deepEqual(issuesOf({ batchId: "a b", events: [valid] }).map((issue) => issue.path), ["batchId"]);
});
