import assert from "node:assert/strict";
import { parseConfig } from "../../shared/config/config.ts";
import { analyzeEdge, quantileConfidence, resolveEdgeOptions } from "../../shared/analyze/edge.ts";
import type { TargetSeries } from "../../shared/analyze/target_series.ts";
import {
  fixturePreviousWindow,
  fixtureWindow,
  type MinuteFigures,
  ruleOutcome,
  spread,
  targetSeries,
} from "../support/analysis_fixtures.ts";

const config = parseConfig({});

/** 20 requests a minute, 10 to 30 ms, no errors, no cold starts; the previous window alike. */
const steady = (_i: number): MinuteFigures => ({ latencies: spread(20, 10, 30) });
const steadyPrevious: MinuteFigures = { latencies: spread(1200, 10, 30) };

function fn(minute: (i: number) => MinuteFigures, previous: MinuteFigures = steadyPrevious): TargetSeries {
  return targetSeries("edge", "robots", "request", minute, previous);
}

function outcome(series: TargetSeries, rule: string, cfg = config, options = resolveEdgeOptions()) {
  return ruleOutcome(
    analyzeEdge(
      { functions: [series], window: fixtureWindow, previousWindow: fixturePreviousWindow },
      cfg,
      options,
    ),
    rule,
  );
}

Deno.test("resolveEdgeOptions() names the option, its bound and the value", () => {
  assert.throws(() => resolveEdgeOptions({ minRequests: 0 }), /minRequests must be >= 1: got 0/);
  assert.throws(
    () => resolveEdgeOptions({ timeoutFraction: 0.2 }),
    /timeoutFraction must be >= 0.5: got 0.2/,
  );
});

Deno.test("quantileConfidence() grades a p95 by the requests beyond it", () => {
  assert.deepEqual([quantileConfidence(50), quantileConfidence(100), quantileConfidence(400)], [
    "low",
    "medium",
    "high",
  ]);
});

Deno.test("analyzeEdge() reports a cold-start rate above alerts.coldStartRate and proposes the warmer", () => {
  const { finding } = outcome(fn((i) => ({ ...steady(i), coldStarts: 8 })), "edge.cold-start-rate");
  assert.ok(finding);
  assert.equal(finding.evidence.statistic.value, 0.4);
  assert.deepEqual(finding.action, { kind: "config", patch: { modules: { warmer: true } } });
});

Deno.test("analyzeEdge() gives guidance for cold starts when the warmer is already on", () => {
  const { finding } = outcome(
    fn((i) => ({ ...steady(i), coldStarts: 8 })),
    "edge.cold-start-rate",
    parseConfig({ modules: { warmer: true } }),
  );
  assert.equal(finding?.action.kind, "guidance");
});

Deno.test("analyzeEdge() accepts a cold-start rate at or below alerts.coldStartRate", () => {
  const { finding, reasons } = outcome(fn((i) => ({ ...steady(i), coldStarts: 1 })), "edge.cold-start-rate");
  assert.equal(finding, undefined);
  assert.match(reasons[0], /^cold-start rate 5\.0 % .* is at or below alerts\.coldStartRate 20\.0 %$/);
});

Deno.test("analyzeEdge() does not judge rates on fewer than minRequests requests", () => {
  const { reasons } = outcome(
    fn((i) => (i === 0 ? { latencies: [10], coldStarts: 1 } : {})),
    "edge.cold-start-rate",
  );
  assert.deepEqual(reasons, ["1 requests is below minRequests 100"]);
});

Deno.test("analyzeEdge() reports a p95 far above the p50", () => {
  const { finding } = outcome(
    fn(() => ({ latencies: [...spread(18, 10, 12), 200, 220] })),
    "edge.tail-latency",
  );
  assert.ok(finding);
  assert.ok(Number(finding.evidence.statistic.value) > 15);
  assert.match(finding.detail, /confidence high: 60 requests beyond the p95/);
});

Deno.test("analyzeEdge() accepts a tail close to the median", () => {
  const { reasons } = outcome(fn(steady), "edge.tail-latency");
  assert.match(reasons[0], /^p95 \d+\.\d ms is 1\.\d× p50 \d+\.\d ms, below maxTailRatio 4$/);
});

Deno.test("analyzeEdge() reports an error rate above alerts.errorRate, critical at twice it", () => {
  const { finding } = outcome(fn((i) => ({ ...steady(i), errors: 4 })), "edge.error-rate");
  assert.ok(finding);
  assert.equal(finding.severity, "critical");
  assert.match(finding.detail, /the window before had 0\.0 %/);
});

Deno.test("analyzeEdge() does not report an error rate whose interval reaches alerts.errorRate", () => {
  const { finding, reasons } = outcome(
    fn((i) => (i < 5 ? { ...steady(i), errors: i === 0 ? 7 : 0 } : {})),
    "edge.error-rate",
  );
  assert.equal(finding, undefined);
  assert.match(
    reasons[0],
    /^error rate 7\.0 % .* is above alerts\.errorRate 5\.0 %, but its interval reaches it$/,
  );
});

Deno.test("analyzeEdge() counts requests that reach the timeout", () => {
  const { finding } = outcome(
    fn((i) => ({ latencies: i % 2 === 0 ? [...spread(18, 10, 30), 150_000, 149_000] : spread(20, 10, 30) })),
    "edge.timeout-rate",
  );
  assert.ok(finding);
  assert.equal(finding.evidence.statistic.value, 60 / 1200);
});

Deno.test("analyzeEdge() sees no timeouts when no request nears timeoutMs", () => {
  const { reasons } = outcome(fn(steady), "edge.timeout-rate");
  assert.match(reasons[0], /^timeout rate 0\.0 % .* is at or below maxTimeoutRate 1\.0 %$/);
});

Deno.test("analyzeEdge() reports a p95 that rose against the previous window", () => {
  const { finding } = outcome(fn(() => ({ latencies: spread(20, 40, 90) })), "edge.p95-rising");
  assert.ok(finding);
  assert.deepEqual(finding.evidence.windows, [fixturePreviousWindow, fixtureWindow]);
  assert.ok(Number(finding.evidence.statistic.value) > 2.5);
});

Deno.test("analyzeEdge() accepts a p95 that held steady", () => {
  const { reasons } = outcome(fn(steady), "edge.p95-rising");
  assert.match(reasons[0], /\(1\.0\d×\), below trendFactor 1\.5$/);
});

Deno.test("analyzeEdge() does not judge a trend without a previous window", () => {
  const { reasons } = outcome(fn(steady, {}), "edge.p95-rising");
  assert.deepEqual(reasons, ["0 requests in the previous window is below minRequests 100"]);
});
