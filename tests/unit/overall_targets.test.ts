import assert from "node:assert/strict";
import { checkOverallTargets } from "../../bench/harness/overall_targets.ts";
import type { ComparisonReport } from "../../bench/harness/report.ts";
import type { ScenarioRun } from "../../bench/harness/scenario.ts";
import type { PairedRatio } from "../../bench/stats/paired.ts";

function paired(median: number, min: number, max: number): PairedRatio {
  return { pairs: [], n: 2, median, min, max, mean: median, stdev: 0, interval: null, unpaired: [] };
}

function report(vsBaseline: PairedRatio, vsPeer: PairedRatio): ComparisonReport {
  return {
    scenarios: ["baseline", "peers-5m", "peers-1m", "peers-per-query", "optimized"],
    summary: {},
    endpointP95: {},
    endpointWarmP95: {},
    endpointP95Cold: {},
    ratios: {
      "optimized / baseline": { p95: vsBaseline },
      "optimized / peers-5m": { p95: vsPeer },
      "optimized / peers-1m": { p95: vsPeer },
      "optimized / peers-per-query": { p95: vsPeer },
    },
  };
}

/** A repeat of `scenario` with its overall p95 and, for optimized, a quote endpoint slow without boots. */
function run(scenario: string, repeat: number, p95: number): ScenarioRun {
  return {
    scenario,
    repeat,
    figures: {
      overall: { count: 100, p95, warmP95: 60 },
      byEndpoint: {
        "market.quote": { count: 20, warmP95: 140 },
        "robots.list": { count: 80, warmP95: 20 },
      },
    },
  } as unknown as ScenarioRun;
}

const runs = [run("baseline", 0, 150), run("optimized", 0, 120)];

Deno.test("checkOverallTargets() meets the target at 0.4 of baseline's p95 and below every peer's", () => {
  const [check] = checkOverallTargets(report(paired(0.35, 0.3, 0.4), paired(0.8, 0.7, 0.9)), runs);
  assert.equal(check.met, true);
  assert.equal(
    check.measured,
    "0.35 of baseline (0.30–0.40 over 2 pairs); highest against a peer peers-5m 0.90, peers-1m 0.90, peers-per-query 0.90",
  );
});

Deno.test("checkOverallTargets() misses the target when one repeat is above 0.4 of baseline's p95", () => {
  assert.equal(
    checkOverallTargets(report(paired(0.35, 0.3, 0.41), paired(0.8, 0.7, 0.9)), runs)[0].met,
    false,
  );
});

Deno.test("checkOverallTargets() misses the target when one repeat is not below a peer's p95", () => {
  assert.equal(checkOverallTargets(report(paired(0.35, 0.3, 0.4), paired(0.9, 0.8, 1)), runs)[0].met, false);
});

Deno.test("checkOverallTargets() says what holds the p95 up: the p95 without boots and the endpoints above the target", () => {
  const [check] = checkOverallTargets(report(paired(0.8, 0.8, 0.8), paired(0.9, 0.9, 0.9)), runs);
  assert.match(
    check.measured,
    /repeat 0: target 60\.0 ms; p95 without the requests that waited for a boot 60 ms \(0\.40 of baseline\); endpoints above the target without boots: market\.quote 140 ms \(20\.0 % of requests\)$/,
  );
});

const floorRow = (clairvoyant: number) => ({
  fn: "all functions",
  requests: 1000,
  withoutWarmer: 120,
  clairvoyant,
  clairvoyantPings: 70,
  floorRatio: clairvoyant / 120,
});

Deno.test("checkOverallTargets() says when a clairvoyant warmer would leave too many boot waits for the target", () => {
  const withCold = runs.map((r) => ({
    ...r,
    figures: { ...r.figures, medianLatencyMs: { cold: 190, warm: 20 } },
  }));
  const [check] = checkOverallTargets(
    report(paired(0.8, 0.8, 0.8), paired(0.9, 0.9, 0.9)),
    withCold,
    { boots: floorRow(56) },
  );
  assert.match(
    check.measured,
    /Boots alone hold it up whatever the warmer does, as long as a request that waits for a boot takes longer than the target: a clairvoyant warmer would leave 56 of the window's 1000 requests \(5\.6 %\) waiting for a boot at this compression \(bench\/sim\/warming_floor\.ts\), more than the 5 % of requests a p95 leaves above it; optimized's requests that waited for a boot took a median 190\.0 ms per repeat$/,
  );
});

Deno.test("checkOverallTargets() says boots need not hold the p95 up when a clairvoyant warmer leaves few", () => {
  const [check] = checkOverallTargets(
    report(paired(0.8, 0.8, 0.8), paired(0.9, 0.9, 0.9)),
    runs,
    { boots: floorRow(20) },
  );
  assert.match(
    check.measured,
    /Boots alone need not hold it up: a clairvoyant warmer would leave 20 of the window's 1000 requests \(2\.0 %\)/,
  );
});

/** A window of 1000 requests with 200 quote reads, of which `unservable` a read-through cache cannot serve. */
const quoteFloor = (unservable: number, keys: number) => ({
  endpoint: "market.quote",
  freshMs: 60_000,
  requests: 1000,
  reads: 200,
  unservable,
  keys,
  refresherCalls: 900,
});
/** A quote service that always takes 100 ms: every call is slower than a 60 ms target. */
const slowService = { median: 100, p99: 100 };
const missed = report(paired(0.8, 0.8, 0.8), paired(0.9, 0.9, 0.9));

Deno.test("checkOverallTargets() says how many requests the quote reads a read-through cache cannot serve leave above the target", () => {
  const [check] = checkOverallTargets(missed, runs, {
    boots: floorRow(20),
    quotes: { floor: quoteFloor(150, 40), serviceLatency: slowService },
  });
  assert.match(
    check.measured,
    /of the window's 200 market\.quote reads, 150 had no read of the same key in the 60 s before, .* takes longer than the most lenient repeat's target \(60\.0 ms\) for 100\.0 % of its calls: about 150 requests above the target \(15\.0 % of the window's 1000; 17\.0 % with the 20 boot waits of that warmer\)/,
  );
  assert.match(
    check.measured,
    /would still miss 40 reads, about 40 requests above the target \(4\.0 % .*; 6\.0 % with/,
  );
  assert.match(check.measured, /at 900 calls to the quote service \(4\.5 per read\)/);
});

Deno.test("checkOverallTargets() says when not even refreshing every quote key could reach the target", () => {
  const [check] = checkOverallTargets(missed, runs, {
    boots: floorRow(20),
    quotes: { floor: quoteFloor(150, 40), serviceLatency: slowService },
  });
  assert.match(
    check.measured,
    /With quotes fresh for 60 s, not even that refresher could bring the p95 to the target: 6\.00 % against the 5 % a p95 leaves above it \(a cache that loads on a read 17\.00 %\)$/,
  );
});

Deno.test("checkOverallTargets() says when only loading quotes ahead of the reads could reach the target", () => {
  const [check] = checkOverallTargets(missed, runs, {
    boots: floorRow(20),
    quotes: { floor: quoteFloor(150, 20), serviceLatency: slowService },
  });
  assert.match(
    check.measured,
    /only loading them ahead of the reads could bring the p95 to the target: a cache that loads on a read leaves 17\.00 % against the 5 % a p95 leaves above it, the refresher 4\.00 %$/,
  );
});

Deno.test("checkOverallTargets() says quote misses need not hold the p95 up when few reads are unservable", () => {
  const [check] = checkOverallTargets(missed, runs, {
    boots: floorRow(20),
    quotes: { floor: quoteFloor(20, 10), serviceLatency: slowService },
  });
  assert.match(
    check.measured,
    /Quote misses need not hold it up: 4\.00 % against the 5 % a p95 leaves above it$/,
  );
});

Deno.test("checkOverallTargets() takes the quote service's share above the most lenient repeat's target from its model", () => {
  const twoRepeats = [...runs, run("baseline", 1, 140), run("optimized", 1, 120)];
  const [check] = checkOverallTargets(missed, twoRepeats, {
    quotes: { floor: quoteFloor(150, 40), serviceLatency: { median: 40, p99: 250 } },
  });
  // log-normal through median 40 ms and p99 250 ms: 30.3 % of calls take longer than 60 ms
  assert.match(
    check.measured,
    /target \(60\.0 ms\) for 30\.3 % of its calls: about 46 requests above the target \(4\.6 % of the window's 1000\)\./,
  );
});
