import assert from "node:assert/strict";
import {
  addToHistogram,
  bucketIndex,
  bucketValue,
  histogramCount,
  histogramFrom,
  mergeHistograms,
  quantile,
} from "../../shared/metrics/latency_histogram.ts";
import { createRng, normal } from "../../bench/trace/prng.ts";

function logNormal(random: () => number, medianMs: number, sigma: number): number {
  return medianMs * Math.exp(sigma * normal(random));
}

function exactNearestRank(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

const distributions: Record<string, (random: () => number) => number> = {
  "log-normal": (random) => logNormal(random, 40, 0.8),
  "bimodal cache hit/miss": (random) =>
    random() < 0.85 ? logNormal(random, 2, 0.3) : logNormal(random, 180, 0.5),
  "bimodal warm/cold": (random) => random() < 0.97 ? logNormal(random, 25, 0.4) : logNormal(random, 900, 0.6),
};

for (const [name, draw] of Object.entries(distributions)) {
  Deno.test(`quantile() is within 2 % of the exact nearest-rank p50/p95/p99 on 100,000 ${name} latencies`, () => {
    const random = createRng(42);
    const values = Array.from({ length: 100_000 }, () => draw(random));
    const histogram = histogramFrom(values);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactNearestRank(sorted, q);
      const estimate = quantile(histogram, q)!;
      const error = Math.abs(estimate - exact) / exact;
      assert.ok(
        error <= 0.02,
        `p${q * 100}: estimate ${estimate} vs exact ${exact} (${(error * 100).toFixed(2)} %)`,
      );
    }
  });
}

Deno.test("bucketIndex() uses ceil(ln(ms) / ln(gamma)) with gamma = 1.01 / 0.99", () => {
  const gamma = 1.01 / 0.99;
  assert.equal(bucketIndex(1), 0);
  assert.equal(bucketIndex(gamma * 1.0001), 2);
  assert.equal(bucketIndex(100), Math.ceil(Math.log(100) / Math.log(gamma)));
  assert.equal(bucketIndex(250.5), 277);
});

Deno.test("bucketIndex() puts 0 ms and anything below 1 µs in the bucket of 0.001 ms", () => {
  assert.equal(bucketIndex(0), bucketIndex(0.001));
  assert.equal(bucketIndex(0.0000001), bucketIndex(0.001));
  assert.equal(bucketIndex(0.001), -345);
});

Deno.test("bucketIndex() rejects NaN and infinity", () => {
  assert.throws(() => bucketIndex(NaN), RangeError);
  assert.throws(() => bucketIndex(Infinity), RangeError);
});

Deno.test("bucketValue() is within 1 % of both edges of its bucket", () => {
  const gamma = 1.01 / 0.99;
  for (const index of [-300, -1, 0, 1, 250, 900]) {
    const upper = Math.pow(gamma, index);
    const lower = upper / gamma;
    const value = bucketValue(index);
    assert.ok(Math.abs(value - upper) / upper <= 0.01 + 1e-12);
    assert.ok(Math.abs(value - lower) / lower <= 0.01 + 1e-12);
  }
});

Deno.test("quantile() uses nearest rank: rank ceil(q * n), at least 1", () => {
  const histogram = histogramFrom([1, 2, 3, 4, 100]);
  const near = (actual: number | null, expected: number) =>
    assert.ok(actual !== null && Math.abs(actual - expected) / expected <= 0.01, `${actual} vs ${expected}`);
  near(quantile(histogram, 0), 1);
  near(quantile(histogram, 0.2), 1);
  near(quantile(histogram, 0.21), 2);
  near(quantile(histogram, 0.8), 4);
  near(quantile(histogram, 0.81), 100);
  near(quantile(histogram, 1), 100);
});

Deno.test("quantile() returns null for an empty histogram and rejects q outside [0, 1]", () => {
  assert.equal(quantile({}, 0.5), null);
  assert.equal(quantile({ "3": 0 }, 0.5), null);
  assert.throws(() => quantile({ "1": 1 }, 1.5), /between 0 and 1: got 1.5/);
  assert.throws(() => quantile({ "1": 1 }, NaN), RangeError);
});

Deno.test("mergeHistograms() is associative and commutative and keeps every count", () => {
  const random = createRng(7);
  const [a, b, c] = [0, 1, 2].map(() =>
    histogramFrom(Array.from({ length: 2_000 }, () => logNormal(random, 30, 1)))
  );
  const sortedKeys = (h: Record<string, number>) => Object.fromEntries(Object.entries(h).sort());
  assert.deepEqual(
    sortedKeys(mergeHistograms(mergeHistograms(a, b), c)),
    sortedKeys(mergeHistograms(a, mergeHistograms(b, c))),
  );
  assert.deepEqual(sortedKeys(mergeHistograms(a, b)), sortedKeys(mergeHistograms(b, a)));
  assert.equal(histogramCount(mergeHistograms(a, b, c)), 6_000);
  assert.deepEqual(mergeHistograms(a, null, undefined), a);
});

Deno.test("addToHistogram() counts repeated latencies in one bucket", () => {
  const histogram = addToHistogram(addToHistogram({}, 12.5), 12.5, 2);
  assert.deepEqual(histogram, { [String(bucketIndex(12.5))]: 3 });
});
