import assert from "node:assert/strict";
import { type Sample, summarize, summarizeByGroup } from "../../bench/stats/summary.ts";

Deno.test("a summary counts every sample, takes percentiles over the measured ones and rates errors over all", () => {
  const samples: Sample[] = [
    ...Array.from({ length: 98 }, (_, i) => ({ group: "robots.list", latencyMs: i + 1, ok: true })),
    { group: "robots.list", latencyMs: 500, ok: false },
    { group: "robots.list", latencyMs: null, ok: false },
  ];
  const summary = summarize(samples);
  assert.equal(summary.count, 100);
  assert.equal(summary.measured, 99);
  assert.equal(summary.errors, 2);
  assert.equal(summary.errorRate, 0.02);
  assert.equal(summary.p50, 50); // rank ceil(49.5) = 50 of 1..98, 500
  assert.equal(summary.p99, 500); // rank ceil(98.01) = 99
  assert.equal(summary.max, 500);
});

Deno.test("summaries per endpoint and overall come from the same samples", () => {
  const samples: Sample[] = [
    { group: "market.quote", latencyMs: 10, ok: true },
    { group: "market.quote", latencyMs: 30, ok: false },
    { group: "robots.get", latencyMs: 20, ok: true },
  ];
  const { overall, byGroup } = summarizeByGroup(samples);
  assert.deepEqual(Object.keys(byGroup), ["market.quote", "robots.get"]);
  assert.equal(byGroup["market.quote"].errorRate, 0.5);
  assert.equal(byGroup["robots.get"].p95, 20);
  assert.equal(overall.count, 3);
  assert.equal(overall.p50, 20);
  assert.equal(overall.mean, 20);
});

Deno.test("no samples give an empty summary with null figures, not NaN", () => {
  assert.deepEqual(summarize([]), {
    count: 0,
    measured: 0,
    errors: 0,
    errorRate: null,
    p50: null,
    p95: null,
    p99: null,
    mean: null,
    max: null,
  });
});
