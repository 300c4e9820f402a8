import assert from "node:assert/strict";
import type { MetricEvent } from "../../shared/metric_event.ts";
import { createMetricReporter, httpSink } from "../../shared/metric_reporter.ts";

const event = (i: number): MetricEvent => ({
  occurredAt: "2025-06-01T12:00:00.000Z",
  system: "edge",
  target: `fn-${i}`,
  kind: "request",
  latencyMs: i,
  error: false,
  coldStart: false,
});

const quiet = () => {};

Deno.test("createMetricReporter() sends full batches at once and the rest on flush()", async () => {
  const batches: number[] = [];
  const reporter = createMetricReporter({
    sink: (events) => Promise.resolve(void batches.push(events.length)),
    maxBatch: 3,
    flushIntervalMs: 60_000,
  });
  for (let i = 0; i < 7; i++) reporter.record(event(i));
  await reporter.flush();
  assert.deepEqual(batches, [3, 3, 1]);
  assert.deepEqual(reporter.counters(), { sent: 7, dropped: 0, failed: 0, buffered: 0 });
});

Deno.test("createMetricReporter() sends a partial batch after flushIntervalMs; settled() waits for it", async () => {
  const sent: string[] = [];
  const reporter = createMetricReporter({
    sink: (events) => Promise.resolve(void sent.push(...events.map((e) => e.target))),
    flushIntervalMs: 5,
  });
  reporter.record(event(1));
  reporter.record(event(2));
  assert.deepEqual(sent, []);
  await reporter.settled();
  assert.deepEqual(sent, ["fn-1", "fn-2"]);
});

Deno.test("createMetricReporter() counts failed batches when the sink throws, and never throws itself", async () => {
  const errors: string[] = [];
  const reporter = createMetricReporter({
    sink: () => {
      throw new Error("connection refused");
    },
    maxBatch: 2,
    onError: (error, size) => void errors.push(`${size}: ${(error as Error).message}`),
  });
  for (let i = 0; i < 3; i++) reporter.record(event(i));
  await reporter.flush();
  assert.deepEqual(reporter.counters(), { sent: 0, dropped: 0, failed: 3, buffered: 0 });
  assert.deepEqual(errors, ["2: connection refused", "1: connection refused"]);
});

Deno.test("createMetricReporter() gives up on a hanging sink after sendTimeoutMs and drops beyond maxBuffered", async () => {
  const reporter = createMetricReporter({
    sink: () => new Promise(() => {}),
    maxBatch: 2,
    maxBuffered: 4,
    sendTimeoutMs: 20,
    onError: quiet,
  });
  const started = performance.now();
  for (let i = 0; i < 10; i++) reporter.record(event(i));
  assert.ok(performance.now() - started < 20, "record() must not wait for the sink");
  await reporter.flush();
  const counters = reporter.counters();
  assert.equal(counters.sent, 0);
  assert.equal(counters.failed + counters.dropped, 10);
  assert.ok(counters.dropped >= 4, `dropped ${counters.dropped}`);
  assert.equal(counters.buffered, 0);
});

Deno.test("createMetricReporter() validates its options with messages that say what to do", () => {
  const sink = () => Promise.resolve();
  assert.throws(
    () => createMetricReporter({ sink, maxBatch: 0 }),
    /maxBatch must be a whole number between 1 and 1000: got 0/,
  );
  assert.throws(
    () => createMetricReporter({ sink, maxBatch: 100, maxBuffered: 10 }),
    /maxBuffered must be a whole number between 100/,
  );
});

Deno.test("httpSink() posts {events} with the apikey and fails the batch on a non-2xx answer", async () => {
  const requests: Request[] = [];
  let status = 202;
  const sink = httpSink({
    url: "https://ref.supabase.co/functions/v1/metrics",
    apiKey: "sb_secret_1",
    fetch: (input, init) => {
      requests.push(new Request(input, init));
      return Promise.resolve(new Response(JSON.stringify({ accepted: 1 }), { status }));
    },
  });
  await sink([event(1)]);
  assert.equal(requests[0].method, "POST");
  assert.equal(requests[0].headers.get("apikey"), "sb_secret_1");
  assert.deepEqual(await requests[0].json(), { events: [event(1)] });
  status = 400;
  await assert.rejects(sink([event(2)]), /metrics endpoint answered 400/);
  assert.equal(requests.length, 2, "a batch the endpoint refused is not sent again");
});

Deno.test("httpSink() sends a batch again after 503 or 502, which mean it was not taken", async () => {
  const statuses = [503, 502, 202];
  let calls = 0;
  const sink = httpSink({
    url: "https://example.test/metrics",
    apiKey: "k",
    fetch: () => Promise.resolve(new Response("{}", { status: statuses[calls++] })),
  });
  await sink([event(1)]);
  assert.equal(calls, 3);
});

Deno.test("httpSink() gives up on a batch that is still not taken when timeoutMs would pass", async () => {
  let calls = 0;
  const sink = httpSink({
    url: "https://example.test/metrics",
    apiKey: "k",
    timeoutMs: 400,
    fetch: () => Promise.resolve(new Response("busy", { status: (calls++, 503) })),
  });
  await assert.rejects(sink([event(1)]), /metrics endpoint answered 503: busy/);
  assert.ok(calls >= 1 && calls <= 2, `sent ${calls} times within 400 ms`);
});

Deno.test("httpSink() aborts a request that takes longer than timeoutMs", async () => {
  const sink = httpSink({
    url: "https://example.test/metrics",
    apiKey: "k",
    timeoutMs: 10,
    fetch: (_input, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
      ),
  });
  await assert.rejects(sink([event(1)]), /timed out after 10 ms/);
});
