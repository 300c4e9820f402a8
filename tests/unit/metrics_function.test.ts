import assert from "node:assert/strict";
import {
  createAuthenticator,
  defaultConfig,
  type MetricStore,
  type OptimizationConfig,
} from "../../shared/mod.ts";
import { createMetricsApp } from "../../supabase/functions/metrics/index.ts";

/** The metrics function run in process over fake stores: its handlers, not the database. */

const secretKey = "sb_secret_in_process_test";
const publishableKey = "sb_publishable_in_process_test";
const now = new Date("2026-11-28T10:00:00Z");

type IngestCall = Parameters<MetricStore["ingest"]>;

function fakeStore(outcome: Awaited<ReturnType<MetricStore["ingest"]>>) {
  const calls: IngestCall[] = [];
  const store: MetricStore = {
    ingest: (...args) => {
      calls.push(args);
      return Promise.resolve(outcome);
    },
    series: () => Promise.resolve([]),
    purgeUser: (userId) =>
      Promise.resolve({ userId, events: 0, minuteRows: 0, fiveMinuteRows: 0, hourRows: 0 }),
  };
  return { store, calls };
}

function app(store: MetricStore, config: OptimizationConfig = defaultConfig) {
  return createMetricsApp({
    store,
    config: () => Promise.resolve(config),
    authenticator: createAuthenticator({
      env: { secretKeys: { default: secretKey }, publishableKeys: { default: publishableKey } },
    }),
    now: () => now,
  });
}

function post(key: string, body: unknown) {
  return new Request("http://local/metrics", {
    method: "POST",
    headers: { apikey: key, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const batch = {
  batchId: "b-1",
  events: [{
    occurredAt: now.toISOString(),
    system: "edge",
    target: "checkout",
    kind: "request",
    latencyMs: 12,
  }],
};

Deno.test("the metrics app hands a secret key's batch to its store with the batch id, and answers 202", async () => {
  const { store, calls } = fakeStore({ accepted: 1, duplicate: false, retryAfterSeconds: null });
  const response = await app(store).fetch(post(secretKey, batch));
  assert.equal(response.status, 202);
  assert.deepEqual({ ...(await response.json()), requestId: "?" }, {
    accepted: 1,
    duplicate: false,
    requestId: "?",
  });
  assert.equal(calls.length, 1);
  const [rows, reporter, options] = calls[0];
  assert.equal(rows[0].target, "checkout");
  assert.equal(reporter, "secret:default");
  assert.deepEqual(options, { batchId: "b-1", eventsPerMinute: null });
});

Deno.test("the metrics app answers 429 with retry-after when the store says the batch is over the limit", async () => {
  const { store } = fakeStore({ accepted: 0, duplicate: false, retryAfterSeconds: 17 });
  const response = await app(store).fetch(post(secretKey, batch));
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("retry-after"), "17");
});

Deno.test("the metrics app refuses a publishable key with 403 and never calls its store", async () => {
  const { store, calls } = fakeStore({ accepted: 1, duplicate: false, retryAfterSeconds: null });
  const response = await app(store).fetch(post(publishableKey, batch));
  assert.equal(response.status, 403);
  assert.equal(calls.length, 0);
});

Deno.test("the metrics app refuses an event older than the retention with 400 and never calls its store", async () => {
  const { store, calls } = fakeStore({ accepted: 1, duplicate: false, retryAfterSeconds: null });
  const old = { events: [{ ...batch.events[0], occurredAt: "2026-01-01T00:00:00Z" }] };
  const response = await app(store).fetch(post(secretKey, old));
  assert.equal(response.status, 400);
  assert.equal((await response.json()).issues[0].path, "events[0].occurredAt");
  assert.equal(calls.length, 0);
});
