import assert from "node:assert/strict";
import { type RunCounters, scenarioFigures, type SendResult } from "../../bench/harness/figures.ts";
import type { ReplayRecord } from "../../bench/trace/replay.ts";

const counters: RunCounters = {
  sharedBufferHitRatio: null,
  appDbTimeMs: 0,
  appWriteDbTimeMs: 0,
  appIndexBytes: 0,
  suiteDbTimeMs: 0,
  workerBoots: {},
  workerBootTimes: {},
  warmPings: 0,
};

/** Answered robots.search requests with the given latencies; `cold` marks those that waited for a boot. */
function searches(latencies: number[], cold: number[]): ReplayRecord<SendResult>[] {
  return latencies.map((latencyMs, index) => ({
    index,
    request: {
      atMs: index * 1000,
      endpoint: "robots.search",
      fn: "robots",
      userIndex: 0,
      key: "k",
      params: {},
    },
    scheduledMs: index * 1000,
    sentMs: index * 1000,
    doneMs: index * 1000 + latencyMs,
    latencyMs,
    serviceMs: latencyMs,
    sendLagMs: 0,
    late: false,
    queued: false,
    outcome: "resolved",
    result: { status: 200, coldStart: cold.includes(latencyMs), cache: null, fallback: null },
  }));
}

/** An answered quote read at `atMs` (trace ms) with the given status and stand-in. */
function quote(atMs: number, status: number, fallback: string | null = null): ReplayRecord<SendResult> {
  return {
    ...searches([10], [])[0],
    request: { atMs, endpoint: "market.quote", fn: "market-data", userIndex: 0, key: "q", params: {} },
    result: { status, coldStart: false, cache: null, fallback },
  };
}

const outage = { startMs: 10_000, endMs: 70_000 };

Deno.test("scenarioFigures() says when an endpoint's p95 request waited for a worker boot", () => {
  const latencies = [40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 900];
  const figures = scenarioFigures(searches(latencies, [900]), [], 0, counters).byEndpoint["robots.search"];
  assert.equal(figures.p95, 900);
  assert.equal(figures.p95Cold, true);
  assert.equal(figures.warmP95, 95);
});

Deno.test("scenarioFigures() reports a warm p95 request as warm", () => {
  const latencies = [40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100];
  const figures = scenarioFigures(searches(latencies, [40]), [], 0, counters).byEndpoint["robots.search"];
  assert.equal(figures.p95, 100);
  assert.equal(figures.p95Cold, false);
  assert.equal(figures.warmP95, 100);
});

Deno.test("scenarioFigures() counts errors and stand-ins among the requests inside an outage", () => {
  const records = [
    quote(5_000, 200),
    quote(20_000, 502),
    quote(30_000, 200, "stale-if-error"),
    quote(40_000, 200, "last-candle"),
    quote(50_000, 200),
  ];
  const figures = scenarioFigures(records, [outage], 0, counters);
  assert.equal(figures.outageRequests, 4);
  assert.equal(figures.outageErrorRate, 0.25);
  assert.deepEqual(figures.outageFallbacks, { "stale-if-error": 1, "last-candle": 1 });
});

Deno.test("scenarioFigures() measures recovery to the first quote the service answers after the outage", () => {
  const records = [
    quote(20_000, 503),
    quote(72_000, 503),
    quote(80_000, 200, "stale-if-error"),
    quote(95_000, 200),
    quote(99_000, 200),
  ];
  assert.equal(scenarioFigures(records, [outage], 0, counters).recoveryMs, 25_000);
});

Deno.test("scenarioFigures() has no recovery figure when no quote follows the outage", () => {
  assert.equal(scenarioFigures([quote(20_000, 503)], [outage], 0, counters).recoveryMs, null);
});

Deno.test("scenarioFigures() gives the p95 and error rate of the requests inside the slow database's windows", () => {
  const records = [quote(5_000, 200), quote(20_000, 502), quote(30_000, 200), quote(90_000, 200)];
  const slow = scenarioFigures(records, [], 0, counters, [{ startMs: 10_000, endMs: 40_000 }]).slowDatabase;
  assert.deepEqual(slow, { requests: 2, p95: 10, errorRate: 0.5 });
});
