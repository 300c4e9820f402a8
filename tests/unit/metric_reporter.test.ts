import assert from "node:assert/strict";
import type { MetricEvent } from "../../shared/metrics/metric_event.ts";
import {
  createMetricReporter,
  httpSink,
  RejectedBatchError,
  retryDelayMs,
} from "../../shared/metrics/metric_reporter.ts";

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
    maxAttempts: 1,
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
    maxAttempts: 1,
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
  await sink([event(1)], "batch-1");
  assert.equal(requests[0].method, "POST");
  assert.equal(requests[0].headers.get("apikey"), "sb_secret_1");
  assert.deepEqual(await requests[0].json(), { batchId: "batch-1", events: [event(1)] });
  status = 503;
  await assert.rejects(sink([event(2)], "batch-2"), (error) => {
    assert.match((error as Error).message, /metrics endpoint answered 503/);
    return !(error instanceof RejectedBatchError);
  });
  status = 400;
  await assert.rejects(sink([event(3)], "batch-3"), RejectedBatchError, "a bad batch is not retried");
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
  await assert.rejects(sink([event(1)], "batch-1"), /timed out after 10 ms/);
});

Deno.test("retryDelayMs() doubles its ceiling per retry up to the maximum, scaled by the random draw", () => {
  const top = () => 0.999_999;
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, 250, 5000, top)), [
    249,
    499,
    999,
    1999,
    3999,
    4999,
  ]);
  assert.equal(retryDelayMs(3, 250, 5000, () => 0), 0);
  assert.equal(retryDelayMs(3, 250, 5000, () => 0.5), 500);
});

/** A sink that fails its first `failures` calls and records every call's batch id and size. */
function flakySink(failures: number) {
  const calls: { batchId: string; size: number }[] = [];
  return {
    calls,
    sink: (events: MetricEvent[], batchId: string) => {
      calls.push({ batchId, size: events.length });
      return calls.length <= failures ? Promise.reject(new Error("503")) : Promise.resolve();
    },
  };
}

Deno.test("createMetricReporter() retries a failed batch after a backoff with the same batchId", async () => {
  const { calls, sink } = flakySink(2);
  let draws = 0;
  let now = 0;
  const reporter = createMetricReporter({
    sink,
    maxBatch: 3,
    retryBaseMs: 40,
    clock: () => (now += 5), // a fake clock that moves 5 ms per reading
    random: () => (draws++, 0.25),
    onError: () => assert.fail("nothing may be lost"),
  });
  for (let i = 0; i < 3; i++) reporter.record(event(i));
  await reporter.settled();
  assert.equal(calls.length, 3);
  assert.equal(new Set(calls.map((call) => call.batchId)).size, 1, "one batch id across the retries");
  assert.equal(draws, 2, "one jittered delay per retry");
  assert.deepEqual(reporter.counters(), { sent: 3, dropped: 0, failed: 0, buffered: 0 });
});

Deno.test("createMetricReporter() gives each batch its own batchId", async () => {
  const { calls, sink } = flakySink(0);
  const reporter = createMetricReporter({ sink, maxBatch: 2 });
  for (let i = 0; i < 4; i++) reporter.record(event(i));
  await reporter.flush();
  assert.equal(calls.length, 2);
  assert.notEqual(calls[0].batchId, calls[1].batchId);
});

Deno.test("createMetricReporter() loses a batch after maxAttempts sends, telling onError once", async () => {
  const { calls, sink } = flakySink(Infinity);
  const lost: number[] = [];
  const reporter = createMetricReporter({
    sink,
    maxAttempts: 3,
    retryBaseMs: 1,
    flushIntervalMs: 0,
    onError: (_error, size) => void lost.push(size),
  });
  reporter.record(event(1));
  reporter.record(event(2));
  await reporter.settled();
  assert.equal(calls.length, 3);
  assert.deepEqual(lost, [2]);
  assert.deepEqual(reporter.counters(), { sent: 0, dropped: 0, failed: 2, buffered: 0 });
});

Deno.test("createMetricReporter() does not retry a batch the sink refuses for good", async () => {
  let calls = 0;
  const reporter = createMetricReporter({
    sink: () => {
      calls++;
      return Promise.reject(new RejectedBatchError("400"));
    },
    retryBaseMs: 1,
    flushIntervalMs: 0,
    onError: quiet,
  });
  reporter.record(event(1));
  await reporter.settled();
  assert.equal(calls, 1);
  assert.equal(reporter.counters().failed, 1);
});

Deno.test("createMetricReporter() keeps batches waiting for a retry within maxBuffered", async () => {
  const { calls, sink } = flakySink(Infinity);
  const reporter = createMetricReporter({
    sink,
    maxBatch: 2,
    maxBuffered: 2,
    maxAttempts: 2,
    retryBaseMs: 60_000,
    retryMaxMs: 60_000,
    random: () => 0.5,
    onError: quiet,
  });
  for (let i = 0; i < 2; i++) reporter.record(event(i)); // batch A goes out at once
  for (let i = 2; i < 5; i++) reporter.record(event(i)); // two fill the buffer, the third is dropped
  await new Promise((resolve) => setTimeout(resolve, 0));
  // A failed with no room left to wait for a retry: lost; the buffered batch failed and waits
  assert.deepEqual(reporter.counters(), { sent: 0, dropped: 1, failed: 2, buffered: 2 });
  await reporter.flush(); // its second and last attempt
  assert.deepEqual(reporter.counters(), { sent: 0, dropped: 1, failed: 4, buffered: 0 });
  assert.equal(calls.length, 3);
});

Deno.test("createMetricReporter() sends batches waiting for a retry at once on beforeunload", async () => {
  const { calls, sink } = flakySink(1);
  const unloadTarget = new EventTarget();
  const reporter = createMetricReporter({
    sink,
    retryBaseMs: 60_000,
    retryMaxMs: 60_000,
    random: () => 0.9,
    flushIntervalMs: 0,
    unloadTarget,
  });
  reporter.record(event(1));
  await new Promise((resolve) => setTimeout(resolve, 20)); // the flush interval passes, the send fails
  assert.deepEqual(reporter.counters(), { sent: 0, dropped: 0, failed: 0, buffered: 1 });
  unloadTarget.dispatchEvent(new Event("beforeunload"));
  await reporter.settled();
  assert.deepEqual(reporter.counters(), { sent: 1, dropped: 0, failed: 0, buffered: 0 });
  assert.equal(calls[0].batchId, calls[1].batchId);
});
