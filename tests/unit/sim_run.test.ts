import assert from "node:assert/strict";
import { type SimRequest, simulate, toMarkdown } from "../../bench/sim/run.ts";
import { histogramPolicy } from "../../shared/warm/histogram_policy.ts";
import { MINUTE_MS } from "../../shared/time.ts";

function requests(): SimRequest[] {
  return [
    { atMs: 60_500, fn: "robots", endpoint: "robots.list", userIndex: 1, key: "robots.list:u1" },
    { atMs: 100_000, fn: "robots", endpoint: "robots.list", userIndex: 1, key: "robots.list:u1" },
    { atMs: 200_000, fn: "market-data", endpoint: "market.quote", userIndex: 2, key: "quote:EURUSD" },
    { atMs: 20 * MINUTE_MS, fn: "robots", endpoint: "robots.update", userIndex: 1, key: "" },
    { atMs: 20.5 * MINUTE_MS, fn: "robots", endpoint: "robots.list", userIndex: 1, key: "robots.list:u1" },
  ];
}

const base = { coldStartMs: 100, warmLatencyMs: 5, cacheCapacities: [2] };

Deno.test("simulate() reports every warming policy beside none and the oracle, and every cache beside MIN", () => {
  const result = simulate({ ...base, trace: { durationMs: 30 * MINUTE_MS, requests: requests() } });
  assert.deepEqual(result.warming.rows.map((row) => row.policy), [
    "none",
    "fixed(5 min)",
    "fixed(1 min)",
    "histogram",
    "planner (cost)",
    "planner (reliability)",
    "planner (performance)",
    "warmer (cost)",
    "warmer (reliability)",
    "warmer (performance)",
    "oracle",
  ]);
  const none = result.warming.rows[0];
  // 60.5 s boots robots, 100 s is warm, 200 s boots market-data, 20 min boots robots again, 20.5 min is warm.
  assert.equal(none.overall.coldStarts, 3);
  assert.equal(none.perFunction["robots"].coldStarts, 2);
  assert.equal(none.overall.addedLatencyMs, 300);
  assert.equal(none.overall.meanLatencyMs, 5 + 300 / 5);
  const best = result.warming.rows.at(-1)!;
  assert.equal(best.overall.coldStarts, 0);
  assert.equal(best.overall.avoidedVsNone, 3);
  assert.equal(best.overall.pingsPerAvoided, 1);
  assert.equal(best.overall.shareOfOracleAvoided, 1);
  assert.deepEqual(result.caching.rows.map((row) => row.policy), ["lru", "lru+ttl", "suite", "belady-min"]);
  assert.equal(result.caching.compulsoryMisses, 3, "the write made the last list read a new item");
  assert.equal(result.caching.rows[2].hits, 1);
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result, "the result is plain JSON");
});

Deno.test("simulate() takes policies from the caller like its own, and a streamed request iterator", () => {
  const result = simulate({
    ...base,
    requests: requests().values(),
    durationMs: 30 * MINUTE_MS,
    warmingPolicies: [{ ...histogramPolicy(), name: "suite" }],
  });
  assert.deepEqual(result.warming.rows.map((row) => row.policy), ["none", "suite", "oracle"]);
  assert.equal(result.input.requests, 5);
});

Deno.test("simulate() validates its options with messages that say what to pass", () => {
  const trace = { durationMs: 30 * MINUTE_MS, requests: requests() };
  assert.throws(
    () => simulate({ ...base, coldStartMs: -1, trace }),
    /coldStartMs must be a finite number >= 0: got -1/,
  );
  assert.throws(() => simulate({ ...base, trace, requests: requests() }), /either `trace` or `requests`/);
  assert.throws(() => simulate({ ...base, trace, cacheCapacities: [0] }), /integers >= 1 \(entries\): got 0/);
  assert.throws(
    () => simulate({ ...base, trace, coldStartMs: 90_000 }),
    /must be shorter than worker.idleTimeoutMs/,
  );
  assert.throws(
    () => simulate({ ...base, trace, warmingPolicies: [{ ...histogramPolicy(), name: "oracle" }] }),
    /"oracle" is reserved/,
  );
  assert.throws(
    () => simulate({ ...base, trace, warmingPolicies: [histogramPolicy(), histogramPolicy()] }),
    /unique: "histogram" appears twice/,
  );
  const unsorted = requests().reverse();
  assert.throws(() => simulate({ ...base, requests: unsorted }), /sorted by atMs/);
  assert.throws(
    () => simulate({ ...base, trace: { durationMs: MINUTE_MS, requests: requests() } }),
    /beyond/,
  );
});

Deno.test("toMarkdown() renders the warming tables per function and the cache table with MIN's share", () => {
  const markdown = toMarkdown(
    simulate({ ...base, trace: { durationMs: 30 * MINUTE_MS, requests: requests() } }),
  );
  assert.match(markdown, /#### Warming, all functions/);
  assert.match(markdown, /#### Warming, `market-data`/);
  assert.match(markdown, /\| oracle \| 5 \| 0 \| 0\.0 % \| 3 \|/);
  assert.match(markdown, /\| 2 \| belady-min \| 25\.0 % \|/);
  assert.match(markdown, /One worker per function/);
});
