import assert from "node:assert/strict";
import { checkIndexTargets } from "../../bench/harness/index_targets.ts";
import type { ComparisonReport, Spread } from "../../bench/harness/report.ts";
import { shippedIndexNames } from "../../bench/reference_app/schema/mod.ts";
import type { ScenarioRun } from "../../bench/harness/scenario.ts";
import type { DroppedIndex } from "../../bench/harness/suite_recommendations.ts";
import type { PairedRatio } from "../../bench/stats/paired.ts";

function paired(median: number, min: number, max: number): PairedRatio {
  return { pairs: [], n: 3, median, min, max, mean: median, stdev: 0, interval: null, unpaired: [] };
}

const spread = (median: number): Spread => ({ median, min: median, max: median, runs: 3 });

/** A run where optimized meets every target; `change` adjusts it. */
function report(change: (r: ComparisonReport) => void = () => {}): ComparisonReport {
  const endpoints = (ms: number) => ({
    "robots.list": spread(ms),
    "robots.search": spread(ms),
    "chat.list": spread(ms),
  });
  const r: ComparisonReport = {
    scenarios: ["baseline", "peers-5m", "peers-1m", "peers-per-query", "optimized"],
    summary: {
      "peers-per-query": { "app index size": spread(43.2) },
      optimized: { "app index size": spread(42.0) },
    },
    endpointP95: {
      baseline: endpoints(3000),
      "peers-5m": endpoints(700),
      "peers-1m": endpoints(900),
      "peers-per-query": endpoints(600),
      optimized: endpoints(500),
    },
    endpointWarmP95: {
      baseline: endpoints(1500),
      "peers-5m": endpoints(120),
      "peers-1m": endpoints(130),
      "peers-per-query": endpoints(110),
      optimized: endpoints(90),
    },
    endpointP95Cold: { optimized: { "robots.list": 0, "robots.search": 2, "chat.list": 0 } },
    ratios: {
      "optimized / baseline": { "app DB time": paired(0.13, 0.11, 0.14) },
      "optimized / peers-per-query": {
        "app DB time": paired(0.94, 0.83, 0.95),
        "app write DB time": paired(0.92, 0.88, 0.98),
      },
    },
  };
  change(r);
  return r;
}

const scanned = [{
  findingId: "1",
  name: "a_idx",
  statement: "…",
  gain: null,
  runs: [{ scans: 5, bytes: 8192 }],
}];

const pkOnly = { variant: "pk-only" as const, runs: [], discoveryRun: discovery({}) };
const built = (indexes: typeof scanned) => ({ indexes, drops: [] });

Deno.test("checkIndexTargets() meets every target of a run that reaches them", () => {
  const checks = checkIndexTargets(report(), built(scanned), [], pkOnly);
  assert.deepEqual(checks.filter((c) => !c.met).map((c) => c.target), []);
});

Deno.test("checkIndexTargets() fails the database-time target when one repeat is above 0.2", () => {
  const checks = checkIndexTargets(
    report((r) => r.ratios["optimized / baseline"]["app DB time"] = paired(0.15, 0.11, 0.21)),
    built(scanned),
    [],
    pkOnly,
  );
  const db = checks.find((c) => c.target.startsWith("app DB time of optimized ≤ 0.2"));
  assert.deepEqual({ met: db?.met, measured: db?.measured }, {
    met: false,
    measured: "0.15 (0.11–0.21 over 3 pairs)",
  });
});

Deno.test("checkIndexTargets() names an applied index the planner never scanned in a run", () => {
  const unused = [...scanned, { ...scanned[0], name: "b_idx", runs: [{ scans: 0, bytes: 8192 }] }];
  const check = checkIndexTargets(report(), built(unused), [], pkOnly).find((c) =>
    c.target.includes("idx_scan")
  );
  assert.deepEqual({ met: check?.met, measured: check?.measured }, {
    met: false,
    measured: "not scanned in some run: b_idx",
  });
});

Deno.test("checkIndexTargets() fails an endpoint whose p95 is not below every peer's", () => {
  const checks = checkIndexTargets(
    report((r) => r.endpointP95["peers-per-query"]["robots.list"] = spread(480)),
    built(scanned),
    [],
    pkOnly,
  );
  assert.equal(checks.find((c) => c.target.startsWith("p95 of robots.list:"))?.met, false);
  assert.equal(checks.find((c) => c.target.startsWith("p95 of chat.list:"))?.met, true);
});

Deno.test("checkIndexTargets() checks an endpoint's p95 without worker boots on its own", () => {
  const checks = checkIndexTargets(
    report((r) => {
      r.endpointP95.optimized["robots.search"] = spread(950);
      r.endpointWarmP95["peers-5m"]["robots.search"] = spread(80);
    }),
    built(scanned),
    [],
    {
      ...pkOnly,
      runs: [0, 1, 2].map((repeat) => ({ scenario: "optimized", repeat }) as unknown as ScenarioRun),
    },
  );
  const all = checks.find((c) => c.target.startsWith("p95 of robots.search:"));
  const warm = checks.find((c) => c.target.startsWith("p95 of robots.search without worker boots"));
  assert.equal(all?.met, false);
  assert.match(all?.measured ?? "", /waited for a worker boot in 2 of 3 optimized runs$/);
  assert.deepEqual({ met: warm?.met, measured: warm?.measured }, {
    met: false,
    measured: "90.00 ms; peers peers-5m 80.00, peers-1m 130.00, peers-per-query 110.00 ms",
  });
});

/** The discovery traffic's run, in which the indexes `used` were scanned. */
function discovery(used: Record<string, number>): ScenarioRun {
  return { scenario: "baseline", repeat: 0, indexScans: used } as unknown as ScenarioRun;
}

/** Baseline runs in which only the shipped indexes `used` were scanned. */
function baselineRuns(used: Record<string, number>): ScenarioRun[] {
  return [0, 1].map((repeat) =>
    ({ scenario: "baseline", repeat, indexScans: used }) as unknown as ScenarioRun
  );
}

const drop = (name: string): DroppedIndex => ({
  findingId: name,
  rule: "index.unused",
  index: `public.${name}`,
  statement: `drop index concurrently if exists public.${name}`,
  title: "…",
});

const used = { "public.idx_robots_user_id": 40, "public.idx_robots_created_at": 12 };
/** Every shipped index but the two the baseline runs scan, idx_robots_chat_history first. */
const unusedShipped = shippedIndexNames.filter((name) => !(`public.${name}` in used));
const shippedReport = () =>
  report((r) => r.ratios["optimized / peers-per-query"]["app write DB time"] = paired(0.8, 0.7, 0.9));

Deno.test("checkIndexTargets() with shipped indexes meets the drop targets when every unscanned one is dropped", () => {
  const checks = checkIndexTargets(
    shippedReport(),
    { indexes: scanned, drops: unusedShipped.map(drop) },
    [],
    { variant: "shipped-indexes", runs: baselineRuns(used), discoveryRun: discovery(used) },
  );
  assert.deepEqual(checks.filter((c) => !c.met).map((c) => c.target), []);
  assert.equal(
    checks.find((c) => c.target.startsWith("every shipped index"))?.measured,
    "9 of 9 never scanned in the discovery traffic and 2 baseline runs",
  );
});

Deno.test("checkIndexTargets() with shipped indexes names an unscanned index left in place and a scanned one dropped as unused, not a redundant one", () => {
  const drops = [
    ...[...unusedShipped.slice(1), "idx_robots_user_id"].map(drop),
    { ...drop("idx_robots_created_at"), rule: "index.prefix-redundant" },
  ];
  const checks = checkIndexTargets(shippedReport(), { indexes: scanned, drops }, [], {
    variant: "shipped-indexes",
    runs: baselineRuns(used),
    discoveryRun: discovery({ ...used, "public.idx_robots_strategy_type": 3 }),
  });
  const measured = (prefix: string) => checks.find((c) => c.target.startsWith(prefix));
  assert.deepEqual(measured("every shipped index"), {
    target:
      "every shipped index never scanned, in the discovery traffic or a baseline run, is found and dropped",
    measured:
      "7 of 8 never scanned in the discovery traffic and 2 baseline runs; not dropped: public.idx_robots_chat_history",
    met: false,
  });
  assert.deepEqual(
    measured("no index dropped as unused")?.measured,
    "scanned in baseline runs: public.idx_robots_user_id (40, 40)",
  );
  assert.equal(measured("no index dropped as unused")?.met, false);
});

Deno.test("checkIndexTargets() with shipped indexes fails when the drops did not lower the write DB time", () => {
  const checks = checkIndexTargets(
    report((r) => r.ratios["optimized / peers-per-query"]["app write DB time"] = paired(1.02, 0.9, 1.1)),
    { indexes: scanned, drops: unusedShipped.map(drop) },
    [],
    { variant: "shipped-indexes", runs: baselineRuns(used), discoveryRun: discovery(used) },
  );
  assert.equal(
    checks.find((c) => c.target.startsWith("write DB time of optimized (drops applied)"))?.met,
    false,
  );
});
