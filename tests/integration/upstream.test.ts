import assert from "node:assert/strict";
import { startUpstream } from "../../bench/reference_app/upstream.ts";

/** The upstream quote server the harness starts for the market-data function: a real HTTP server. */

const noLatency = { median: 0, p99: 0 };

Deno.test("the quote server answers deterministic quotes for a symbol and timeframe", async () => {
  const start = Date.parse("2025-06-02T13:30:00Z");
  const upstream = await startUpstream({ latencyMs: noLatency, seed: 4, now: () => start });
  try {
    const first = await (await fetch(`${upstream.url}/quote?symbol=EURUSD&timeframe=M5`)).json();
    const second = await (await fetch(`${upstream.url}/quote?symbol=EURUSD&timeframe=M5`)).json();
    assert.deepEqual(first, second);
    assert.equal(first.symbol, "EURUSD");
    assert.equal(first.time, "2025-06-02T13:30:00.000Z");
    assert.ok(first.bid < first.ask);
    assert.ok(Math.abs(first.price / 1.085 - 1) < 0.2, "EURUSD trades near the reference data's base price");
    const bad = await fetch(`${upstream.url}/quote?symbol=&timeframe=M7`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    assert.deepEqual(upstream.stats(), { requests: 3, served: 2, errors: 0, duringOutage: 0, rejected: 1 });
  } finally {
    await upstream.stop();
  }
});

Deno.test("answers take about the configured latency", async () => {
  const upstream = await startUpstream({ latencyMs: { median: 80, p99: 80 } });
  try {
    const started = performance.now();
    await (await fetch(`${upstream.url}/quote?symbol=XAUUSD`)).body?.cancel();
    const took = performance.now() - started;
    assert.ok(took >= 75 && took < 1000, `took ${took} ms`);
  } finally {
    await upstream.stop();
  }
});

Deno.test("with an error rate of 1 every quote fails with 500 and is counted", async () => {
  const upstream = await startUpstream({ latencyMs: noLatency, errorRate: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${upstream.url}/quote?symbol=EURUSD`);
      assert.equal(response.status, 500);
      await response.body?.cancel();
    }
    assert.equal(upstream.stats().errors, 3);
  } finally {
    await upstream.stop();
  }
});

Deno.test("during an outage window the server answers 503 at once, and serves again after it", async () => {
  let now = 0;
  const upstream = await startUpstream({
    latencyMs: noLatency,
    outages: [{ startMs: 60_000, endMs: 120_000 }],
    timeCompression: 60,
    now: () => now,
  });
  try {
    const status = async () => {
      const response = await fetch(`${upstream.url}/quote?symbol=EURUSD`);
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await status(), 200);
    now = 1500; // trace minute 1.5
    assert.equal(await status(), 503);
    now = 2000;
    assert.equal(await status(), 200);
    upstream.setOutages(() => true);
    assert.equal(await status(), 503);
    assert.equal(upstream.stats().duringOutage, 2);
  } finally {
    await upstream.stop();
  }
});

Deno.test("in hang mode an outage holds the request until the client gives up, and stop() does not wait", async () => {
  const upstream = await startUpstream({
    latencyMs: noLatency,
    outages: () => true,
    outageMode: "hang",
    hangMs: 60_000,
  });
  const started = performance.now();
  await assert.rejects(
    fetch(`${upstream.url}/quote?symbol=EURUSD`, { signal: AbortSignal.timeout(200) }),
    (error: Error) => error.name === "TimeoutError",
  );
  assert.ok(performance.now() - started < 2000);
  const pending = fetch(`${upstream.url}/quote?symbol=EURUSD`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stopping = performance.now();
  await upstream.stop();
  assert.ok(performance.now() - stopping < 2000, "stop() answered the hanging request instead of waiting");
  const response = await pending;
  assert.equal(response.status, 503);
  await response.body?.cancel();
});

Deno.test("bad options are refused with what to change", async () => {
  await assert.rejects(() => startUpstream({ errorRate: 2 }), /errorRate must be a fraction between 0 and 1/);
  await assert.rejects(
    () => startUpstream({ outages: [{ startMs: 5, endMs: 1 }] }),
    /outages\[0\] must have finite startMs < endMs/,
  );
});
