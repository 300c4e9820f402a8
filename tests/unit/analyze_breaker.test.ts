import assert from "node:assert/strict";
import {
  analyzeBreakers,
  resolveBreakerOptions,
  suggestBreakerSettings,
} from "../../shared/analyze/breaker.ts";
import type { TargetSeries } from "../../shared/analyze/target_series.ts";
import {
  fixtureWindow,
  type MinuteFigures,
  ruleOutcome,
  spread,
  targetSeries,
} from "../support/analysis_fixtures.ts";

const rule = "resilience.breaker-settings";

/** Calls of the breaker `quotes` over the fixture's hour: minute i has `minute(i)`. */
function breaker(minute: (i: number) => MinuteFigures): TargetSeries {
  return targetSeries("edge", "quotes", "breaker_call", minute);
}

/** 10 calls a minute of 20 to 80 ms; one failure every 10 minutes; minutes `down` all failing. */
function calls(down: (i: number) => boolean = () => false) {
  return breaker((i) => ({ latencies: spread(10, 20, 80), errors: down(i) ? 10 : i % 10 === 0 ? 1 : 0 }));
}

function suggestion(series: TargetSeries, options = resolveBreakerOptions()) {
  const s = suggestBreakerSettings(series, options);
  if ("reason" in s) throw new Error(`expected a suggestion, got: ${s.reason}`);
  return s;
}

Deno.test("suggestBreakerSettings() judges the background failure rate without the outage's minutes", () => {
  const s = suggestion(calls((i) => i >= 20 && i < 28));
  assert.equal(s.backgroundFailureRate, (5 + 1) / (520 + 2));
  assert.deepEqual(s.outagesMs, [8 * 60_000]);
});

Deno.test("suggestBreakerSettings() opens after the fewest failures chance alone rarely reaches", () => {
  // 1.2 % failing at 14,400 calls a day: 3 in a row happen by chance 0.02 times a day
  assert.equal(suggestion(calls()).failures, 3);
  // a fifth failing: 8 in a row before chance stays under once a week
  const noisy = suggestion(breaker(() => ({ latencies: spread(10, 20, 80), errors: 2 })));
  assert.equal(noisy.failures, 8);
  assert.ok(noisy.chanceOpeningsPerDay <= 1 / 7);
});

Deno.test("suggestBreakerSettings() probes a median outage about probesPerOutage times, within bounds", () => {
  assert.equal(suggestion(calls((i) => i >= 20 && i < 28)).halfOpenAfterMs, 24_000);
  assert.equal(
    suggestion(calls((i) => i >= 10 && i < 50)).halfOpenAfterMs,
    60_000,
    "capped at maxHalfOpenMs",
  );
  assert.equal(suggestion(calls()).halfOpenAfterMs, 10_000, "no outage: minHalfOpenMs");
});

Deno.test("suggestBreakerSettings() times calls out at timeoutHeadroom times their p99", () => {
  const s = suggestion(calls());
  assert.ok(s.timeoutMs !== null && s.timeoutMs >= 2 * 79 && s.timeoutMs <= 2 * 81, `timeout ${s.timeoutMs}`);
});

Deno.test("analyzeBreakers() says why a breaker with too few calls gets no suggestion", () => {
  const quiet = breaker(() => ({ latencies: spread(2, 20, 80) }));
  const { finding, reasons } = ruleOutcome(
    analyzeBreakers({ breakers: [quiet], window: fixtureWindow }),
    rule,
  );
  assert.equal(finding, undefined);
  assert.deepEqual(reasons, ["120 calls is below minCalls 200"]);
});

Deno.test("analyzeBreakers() says a failure rate too high for failures in a row calls for a sampling rule", () => {
  const flaky = breaker(() => ({ latencies: spread(10, 20, 80), errors: 4 }));
  const { reasons } = ruleOutcome(
    analyzeBreakers({ breakers: [flaky], window: fixtureWindow }, resolveBreakerOptions({ maxFailures: 10 })),
    rule,
  );
  assert.equal(reasons.length, 1);
  assert.match(
    reasons[0],
    /background failure rate 40\.0 % .* even at maxFailures 10 in a row: use a sampling rule/,
  );
});

Deno.test("analyzeBreakers() reports the suggested settings as guidance, with its evidence", () => {
  const { finding } = ruleOutcome(
    analyzeBreakers({ breakers: [calls((i) => i >= 20 && i < 28)], window: fixtureWindow }),
    rule,
  );
  assert.ok(finding);
  assert.equal(finding.subject, "breaker:quotes");
  assert.match(
    finding.title,
    /^Breaker quotes: open after 3 failures in a row, probe every 24 s, time calls out after \d+ ms$/,
  );
  assert.equal(finding.gain, null);
  assert.equal(finding.action.kind, "guidance");
  assert.deepEqual(finding.evidence.series, ["optimizer.metric_rollups(edge/quotes/breaker_call)"]);
});

Deno.test("resolveBreakerOptions() names the option and its bound", () => {
  assert.throws(() => resolveBreakerOptions({ minCalls: 0 }), /minCalls must be >= 1: got 0/);
  assert.throws(
    () => resolveBreakerOptions({ minFailures: 5, maxFailures: 4 }),
    /maxFailures must be >= minFailures \(5\): got 4/,
  );
});
