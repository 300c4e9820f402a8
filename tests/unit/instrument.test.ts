import assert from "node:assert/strict";
import { instrument } from "../../shared/metrics/instrument.ts";
import type { MetricEvent } from "../../shared/metrics/metric_event.ts";
import { createMetricReporter } from "../../shared/metrics/metric_reporter.ts";

const info = {};
const quiet = () => {};

Deno.test("instrument() answers at once while the metric sink hangs, and counts the lost batch", async () => {
  const reporter = createMetricReporter({
    sink: () => new Promise(() => {}),
    sendTimeoutMs: 1000,
    maxAttempts: 1,
    flushIntervalMs: 0,
    onError: quiet,
  });
  const handler = instrument(() => new Response("ok"), { target: "app-fn", reporter });
  const started = performance.now();
  const response = await handler(new Request("http://localhost/app-fn"), info);
  assert.equal(await response.text(), "ok");
  assert.ok(performance.now() - started < 500, "the response must not wait for the metric store");
  assert.equal(reporter.counters().failed, 0, "the batch is still waiting for the sink");
  await reporter.settled();
  assert.equal(reporter.counters().failed, 1);
});

Deno.test("instrument() records latency, cold start and the status of each invocation", async () => {
  const events: MetricEvent[] = [];
  const reporter = createMetricReporter({
    sink: (batch) => Promise.resolve(void events.push(...batch)),
    flushIntervalMs: 0,
  });
  let tick = 0;
  const handler = instrument(
    (request) => new Response(null, { status: request.method === "POST" ? 503 : 200 }),
    {
      target: "app-fn",
      reporter,
      clock: () => (tick += 7),
      now: () => new Date("2025-06-01T00:00:00Z"),
    },
  );
  await handler(new Request("http://localhost/app-fn"), info);
  await handler(new Request("http://localhost/app-fn", { method: "POST" }), info);
  await reporter.settled();
  assert.deepEqual(
    events.map((e) => [e.system, e.target, e.kind, e.latencyMs, e.coldStart, e.error, e.attrs?.status]),
    [
      ["edge", "app-fn", "request", 7, true, false, 200],
      ["edge", "app-fn", "request", 7, false, true, 503],
    ],
  );
});

Deno.test("instrument() rethrows the handler's error after recording it", async () => {
  const events: MetricEvent[] = [];
  const reporter = createMetricReporter({
    sink: (batch) => Promise.resolve(void events.push(...batch)),
    flushIntervalMs: 0,
  });
  const handler = instrument(() => {
    throw new TypeError("bug in the app");
  }, { target: "app-fn", reporter });
  await assert.rejects(handler(new Request("http://localhost/"), info), TypeError);
  await reporter.settled();
  assert.equal(events.length, 1);
  assert.equal(events[0].error, true);
});

Deno.test("instrument() answers warm-up pings without calling the handler", async () => {
  const reporter = createMetricReporter({ sink: () => Promise.resolve(), flushIntervalMs: 0 });
  let called = 0;
  const handler = instrument(() => new Response(String(++called)), { target: "app-fn", reporter });
  const response = await handler(new Request("http://localhost/?warmup=1"), info);
  const { workerAgeMs, ...answer } = await response.json();
  assert.deepEqual(answer, { warm: true, coldStart: true });
  assert.equal(typeof workerAgeMs, "number");
  assert.equal(called, 0);
  await reporter.settled();
});

Deno.test("instrument() answers a warm-up ping after prepareOnWarmup, and requests never run it", async () => {
  const reporter = createMetricReporter({ sink: () => Promise.resolve(), flushIntervalMs: 0 });
  const log: string[] = [];
  const handler = instrument(() => (log.push("request"), new Response("ok")), {
    target: "app-fn",
    reporter,
    prepareOnWarmup: () =>
      new Promise<void>((resolve) => setTimeout(() => (log.push("prepared"), resolve()), 20)),
  });
  await handler(new Request("http://localhost/app-fn"), info);
  const response = await handler(new Request("http://localhost/app-fn?warmup=1"), info);
  log.push("answered");
  assert.equal(response.status, 200);
  assert.deepEqual(log, ["request", "prepared", "answered"]);
  await reporter.settled();
});

Deno.test("instrument() posts to SUPABASE_URL/functions/v1/metrics with the default secret key", async () => {
  const posted: Request[] = [];
  const pending: Promise<unknown>[] = [];
  const env: Record<string, string> = {
    SUPABASE_URL: "https://ref.supabase.co",
    SUPABASE_SECRET_KEYS: '{"other":"sb_secret_other","default":"sb_secret_default"}',
  };
  const handler = instrument(() => new Response("ok"), {
    target: "app-fn",
    env: (name) => env[name],
    fetch: (input, init) => {
      posted.push(new Request(input, init));
      return Promise.resolve(new Response("{}", { status: 202 }));
    },
    waitUntil: (promise) => void pending.push(promise),
  });
  await handler(new Request("http://localhost/"), info);
  assert.equal(pending.length, 1);
  await Promise.all(pending);
  assert.equal(posted[0].url, "https://ref.supabase.co/functions/v1/metrics");
  assert.equal(posted[0].headers.get("apikey"), "sb_secret_default");
  assert.equal((await posted[0].json()).events[0].target, "app-fn");
});

Deno.test("instrument() retries a failed post of its batch with the same batchId", async () => {
  const bodies: { batchId: string }[] = [];
  const pending: Promise<unknown>[] = [];
  const handler = instrument(() => new Response("ok"), {
    target: "app-fn",
    url: "https://ref.supabase.co/functions/v1/metrics",
    apiKey: "sb_secret_1",
    fetch: async (input, init) => {
      bodies.push(await new Request(input, init).json());
      return new Response("{}", { status: bodies.length === 1 ? 503 : 202 });
    },
    waitUntil: (promise) => void pending.push(promise),
  });
  await handler(new Request("http://localhost/"), info);
  await Promise.all(pending);
  assert.equal(bodies.length, 2);
  assert.match(bodies[0].batchId, /^[0-9a-f-]{36}$/);
  assert.equal(bodies[1].batchId, bodies[0].batchId);
});

Deno.test("instrument() still serves when no key is configured (metrics off)", async () => {
  const warn = console.warn;
  console.warn = quiet;
  try {
    const handler = instrument(() => new Response("ok"), { target: "app-fn", env: () => undefined });
    assert.equal(await (await handler(new Request("http://localhost/"), info)).text(), "ok");
  } finally {
    console.warn = warn;
  }
});
