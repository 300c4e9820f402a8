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
    result: { status: 200, coldStart: cold.includes(latencyMs), cache: null },
  }));
}

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
