/**
 * The recommendations' targets, checked on one `npm run bench` run: the `optimized` scenario (the suite's
 * index suggestions and drops, applied through the function) against `baseline` and the peers. Each target
 * says what was measured and whether it was met; none is adjusted to pass.
 */
import { shippedIndexNames } from "../reference_app/schema/mod.ts";
import type { Variant } from "../reference_app/data/load.ts";
import type { LintCoverage } from "./advisors_coverage.ts";
import type { ComparisonReport } from "./report.ts";
import type { ScenarioRun } from "./scenario.ts";
import type { RecommendationsReport } from "./suite_recommendations.ts";

/** One target and how the run did against it. */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** The thresholds the targets are stated with. */
export const indexTargets = {
  /** optimized / baseline app DB time, highest paired ratio. */
  maxDbTimeRatio: 0.2,
  /** optimized / baseline p95 of each database-heavy endpoint, medians. */
  maxEndpointP95Ratio: 0.5,
  databaseHeavyEndpoints: ["robots.list", "robots.search", "chat.list"],
  perQuery: "peers-per-query",
  peers: ["peers-5m", "peers-1m", "peers-per-query"],
} as const;

/** A figure to two places, or a dash when there is none. */
export const f2 = (
  v: number | null | undefined,
): string => (v === null || v === undefined ? "–" : v.toFixed(2));
const range = (r: { median: number | null; min: number | null; max: number | null; n: number }) =>
  `${f2(r.median)} (${f2(r.min)}–${f2(r.max)} over ${r.n} pairs)`;

/**
 * Pure: the targets checked against a comparison that has `baseline`, the peers and `optimized`. With the
 * shipped indexes (`variant`), also whether the drops found every shipped index that neither the discovery
 * traffic nor the measured window's baseline runs scanned, dropped none as unused that they scanned, and
 * lowered the write DB time.
 */
export function checkIndexTargets(
  report: ComparisonReport,
  recommendations: Pick<RecommendationsReport, "indexes" | "drops">,
  coverage: LintCoverage[],
  context: { variant: Variant; runs: ScenarioRun[]; discoveryRun: ScenarioRun },
): TargetCheck[] {
  const applied = recommendations.indexes.filter((index) => index.runs.length > 0);
  const t = indexTargets;
  const ratio = (scenario: string, reference: string, metric: string) =>
    report.ratios[`${scenario} / ${reference}`]?.[metric];
  const checks: TargetCheck[] = [];

  const db = ratio("optimized", "baseline", "app DB time");
  checks.push({
    target: `app DB time of optimized ≤ ${t.maxDbTimeRatio} of baseline in every repeat`,
    measured: db ? range(db) : "–",
    met: db?.max !== null && db?.max !== undefined && db.max <= t.maxDbTimeRatio,
  });
  const perQuery = ratio("optimized", t.perQuery, "app DB time");
  checks.push({
    target: `app DB time of optimized no higher than ${t.perQuery}'s in any repeat`,
    measured: perQuery ? range(perQuery) : "–",
    met: perQuery?.max !== null && perQuery?.max !== undefined && perQuery.max <= 1,
  });
  const size = (scenario: string) => report.summary[scenario]?.["app index size"]?.median ?? null;
  checks.push({
    target: `index bytes of optimized no more than ${t.perQuery}'s`,
    measured: `${f2(size("optimized"))} MB against ${
      f2(size(t.perQuery))
    } MB (all indexes of the app's tables)`,
    met: size("optimized") !== null && size(t.perQuery) !== null && size("optimized")! <= size(t.perQuery)!,
  });
  const writes = ratio("optimized", t.perQuery, "app write DB time");
  checks.push({
    target: `write DB time of optimized no higher than ${t.perQuery}'s (median of paired ratios)`,
    measured: writes ? range(writes) : "–",
    met: writes?.median !== null && writes?.median !== undefined && writes.median <= 1,
  });
  for (const endpoint of t.databaseHeavyEndpoints) {
    const median = (p95: ComparisonReport["endpointP95"], scenario: string) =>
      p95[scenario]?.[endpoint]?.median ?? null;
    const optimized = median(report.endpointP95, "optimized");
    const baseline = median(report.endpointP95, "baseline");
    const peers = t.peers.map((peer) => ({ peer, value: median(report.endpointP95, peer) }));
    const vsBaseline = optimized !== null && baseline ? optimized / baseline : null;
    checks.push({
      target:
        `p95 of ${endpoint}: optimized ≤ ${t.maxEndpointP95Ratio} of baseline and below every peer (medians)`,
      measured: `${f2(optimized)} ms, ${f2(vsBaseline)} of baseline; peers ${
        peers.map((p) => `${p.peer} ${f2(p.value)}`).join(", ")
      } ms; the p95 request waited for a worker boot in ${
        report.endpointP95Cold.optimized?.[endpoint] ?? 0
      } of ${context.runs.filter((run) => run.scenario === "optimized").length} optimized runs`,
      met: vsBaseline !== null && vsBaseline <= t.maxEndpointP95Ratio &&
        peers.every((p) => p.value !== null && optimized! < p.value),
    });
    // boots are the warmer's to avoid; the requests that found a worker show what the indexes did
    const warm = median(report.endpointWarmP95, "optimized");
    const warmPeers = t.peers.map((peer) => ({ peer, value: median(report.endpointWarmP95, peer) }));
    checks.push({
      target: `p95 of ${endpoint} without worker boots: optimized below every peer (medians)`,
      measured: `${f2(warm)} ms; peers ${warmPeers.map((p) => `${p.peer} ${f2(p.value)}`).join(", ")} ms`,
      met: warm !== null && warmPeers.every((p) => p.value !== null && warm < p.value),
    });
  }
  const unused = applied.filter((index) => index.runs.some((run) => run.scans === 0));
  checks.push({
    target: "every applied suggestion is used by the planner in every run (idx_scan > 0)",
    measured: unused.length === 0
      ? `${applied.length} of ${applied.length} scanned in every run`
      : `not scanned in some run: ${unused.map((i) => i.name).join(", ")}`,
    met: applied.length > 0 && unused.length === 0,
  });
  if (context.variant === "shipped-indexes") {
    checks.push(...shippedIndexChecks(report, recommendations.drops, context.runs, context.discoveryRun));
  }
  const missing = coverage.filter((c) => c.outcome === "missing");
  checks.push({
    target: "every performance lint of `supabase db advisors` found or explained",
    measured: `${coverage.length - missing.length} of ${coverage.length}` +
      (missing.length > 0 ? `; missing: ${missing.map((c) => `${c.lint} on ${c.table}`).join(", ")}` : ""),
    met: missing.length === 0,
  });
  return checks;
}

/** The shipped-indexes variant's targets: the drops against what the baseline runs scanned. */
function shippedIndexChecks(
  report: ComparisonReport,
  drops: RecommendationsReport["drops"],
  runs: ScenarioRun[],
  discoveryRun: ScenarioRun,
): TargetCheck[] {
  const baseline = runs.filter((run) => run.scenario === "baseline");
  const scans = (index: string) => baseline.map((run) => run.indexScans[index] ?? 0);
  const discoveryScans = (index: string) => discoveryRun.indexScans[index] ?? 0;
  const shipped = shippedIndexNames.map((name) => `public.${name}`);
  const dropped = new Set(drops.map((drop) => drop.index));
  const neverScanned = shipped.filter((index) =>
    discoveryScans(index) === 0 && scans(index).every((n) => n === 0)
  );
  const missed = neverScanned.filter((index) => !dropped.has(index));
  // a prefix-redundant or duplicate index is scanned until it is dropped: its twin serves the same scans
  const unused = drops.filter((drop) => drop.rule === "index.unused").map((drop) => drop.index);
  const needed = unused.filter((index) => scans(index).some((n) => n > 0));
  // peers-per-query keeps every shipped index and adds its own; against it, the drops show, whereas against
  // baseline the writes also gain from the lighter read load on the same two cores
  const writes = report.ratios[`optimized / ${indexTargets.perQuery}`]?.["app write DB time"];
  return [
    {
      target:
        "every shipped index never scanned, in the discovery traffic or a baseline run, is found and dropped",
      measured: `${neverScanned.length - missed.length} of ${neverScanned.length} never scanned in the ` +
        `discovery traffic and ${baseline.length} baseline runs` +
        (missed.length > 0 ? `; not dropped: ${missed.join(", ")}` : ""),
      met: baseline.length > 0 && missed.length === 0,
    },
    {
      target: "no index dropped as unused was scanned in a baseline run",
      measured: needed.length === 0
        ? `${unused.length} dropped as unused, none scanned`
        : `scanned in baseline runs: ${
          needed.map((index) => `${index} (${scans(index).join(", ")})`).join("; ")
        }`,
      met: needed.length === 0,
    },
    {
      target:
        `write DB time of optimized (drops applied) below ${indexTargets.perQuery}'s (shipped indexes ` +
        "kept), median of paired ratios",
      measured: writes ? range(writes) : "–",
      met: writes?.median !== null && writes?.median !== undefined && writes.median < 1,
    },
  ];
}
