import assert from "node:assert/strict";
import { checkIndexTargets } from "../../bench/harness/index_targets.ts";
import type { ComparisonReport, Spread } from "../../bench/harness/report.ts";
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

Deno.test("checkIndexTargets() meets every target of a run that reaches them", () => {
  const checks = checkIndexTargets(report(), scanned, []);
  assert.deepEqual(checks.filter((c) => !c.met).map((c) => c.target), []);
});

Deno.test("checkIndexTargets() fails the database-time target when one repeat is above 0.2", () => {
  const checks = checkIndexTargets(
    report((r) => r.ratios["optimized / baseline"]["app DB time"] = paired(0.15, 0.11, 0.21)),
    scanned,
    [],
  );
  const db = checks.find((c) => c.target.startsWith("app DB time of optimized ≤ 0.2"));
  assert.deepEqual({ met: db?.met, measured: db?.measured }, {
    met: false,
    measured: "0.15 (0.11–0.21 over 3 pairs)",
  });
});

Deno.test("checkIndexTargets() names an applied index the planner never scanned in a run", () => {
  const unused = [...scanned, { ...scanned[0], name: "b_idx", runs: [{ scans: 0, bytes: 8192 }] }];
  const check = checkIndexTargets(report(), unused, []).find((c) => c.target.includes("idx_scan"));
  assert.deepEqual({ met: check?.met, measured: check?.measured }, {
    met: false,
    measured: "not scanned in some run: b_idx",
  });
});

Deno.test("checkIndexTargets() fails an endpoint whose p95 is not below every peer's", () => {
  const checks = checkIndexTargets(
    report((r) => r.endpointP95["peers-per-query"]["robots.list"] = spread(480)),
    scanned,
    [],
  );
  assert.equal(checks.find((c) => c.target.startsWith("p95 of robots.list"))?.met, false);
  assert.equal(checks.find((c) => c.target.startsWith("p95 of chat.list"))?.met, true);
});
