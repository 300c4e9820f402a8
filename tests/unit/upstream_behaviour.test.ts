import assert from "node:assert/strict";
import {
  inOutage,
  logNormalLatency,
  logNormalShareAbove,
  validateOutageWindows,
} from "../../bench/reference_app/upstream_behaviour.ts";
import { createRng } from "../../bench/trace/prng.ts";

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

Deno.test("log-normal latencies have the asked median and p99", () => {
  const sample = logNormalLatency({ median: 40, p99: 250 });
  const random = createRng(1);
  const values = Array.from({ length: 100_000 }, () => sample(random)).sort((x, y) => x - y);
  assert.ok(Math.abs(quantile(values, 0.5) - 40) / 40 < 0.03, `median ${quantile(values, 0.5)}`);
  assert.ok(Math.abs(quantile(values, 0.99) - 250) / 250 < 0.08, `p99 ${quantile(values, 0.99)}`);
  assert.ok(values[0] > 0);
});

Deno.test("a zero median means no added latency, and a p99 under the median is refused", () => {
  assert.equal(logNormalLatency({ median: 0, p99: 0 })(Math.random), 0);
  assert.throws(() => logNormalLatency({ median: 50, p99: 10 }), /p99 must be a number of ms >= the median/);
  assert.throws(() => logNormalLatency({ median: -1, p99: 10 }), /median/);
});

Deno.test("logNormalShareAbove() leaves half the answers above the median and 1 % above the p99", () => {
  const percentiles = { median: 40, p99: 250 };
  assert.ok(Math.abs(logNormalShareAbove(percentiles, 40) - 0.5) < 1e-6);
  assert.ok(Math.abs(logNormalShareAbove(percentiles, 250) - 0.01) < 1e-6);
});

Deno.test("logNormalShareAbove() agrees with a sample of logNormalLatency()", () => {
  const percentiles = { median: 40, p99: 250 };
  const sample = logNormalLatency(percentiles);
  const random = createRng(2);
  const values = Array.from({ length: 100_000 }, () => sample(random));
  for (const ms of [10, 55, 120]) {
    const sampled = values.filter((v) => v > ms).length / values.length;
    const share = logNormalShareAbove(percentiles, ms);
    assert.ok(Math.abs(sampled - share) < 0.005, `above ${ms} ms: sampled ${sampled}, model ${share}`);
  }
});

Deno.test("logNormalShareAbove() of a constant latency is all or nothing, and of no latency nothing", () => {
  assert.equal(logNormalShareAbove({ median: 40, p99: 40 }, 39), 1);
  assert.equal(logNormalShareAbove({ median: 40, p99: 40 }, 40), 0);
  assert.equal(logNormalShareAbove({ median: 0, p99: 0 }, 0), 0);
  assert.throws(
    () => logNormalShareAbove({ median: 50, p99: 10 }, 20),
    /p99 must be a number of ms >= the median/,
  );
});

Deno.test("outage windows are in trace time since the start, end exclusive", () => {
  const windows = [{ startMs: 1000, endMs: 2000 }];
  const start = 1_700_000_000_000;
  assert.equal(inOutage(windows, start + 999, start), false);
  assert.equal(inOutage(windows, start + 1000, start), true);
  assert.equal(inOutage(windows, start + 1999, start), true);
  assert.equal(inOutage(windows, start + 2000, start), false);
});

Deno.test("time compression maps real time onto the trace's windows", () => {
  const windows = [{ startMs: 60_000, endMs: 120_000 }];
  const start = 0;
  // 60x: one real second is a trace minute.
  assert.equal(inOutage(windows, 999, start, 60), false);
  assert.equal(inOutage(windows, 1000, start, 60), true);
  assert.equal(inOutage(windows, 2000, start, 60), false);
});

Deno.test("an outage rule decides from the current time alone", () => {
  const evenSeconds = (now: number) => Math.floor(now / 1000) % 2 === 0;
  assert.equal(inOutage(evenSeconds, 2500, 0, 60), true);
  assert.equal(inOutage(evenSeconds, 3500, 0, 60), false);
});

Deno.test("an empty or inverted window is refused with its index", () => {
  assert.throws(
    () => validateOutageWindows([{ startMs: 0, endMs: 10 }, { startMs: 5, endMs: 5 }]),
    /outages\[1\]/,
  );
  assert.deepEqual(validateOutageWindows([]), []);
});
