/**
 * The target of `optimized` as a whole (advisor, warming, cache and breakers, its indexes built by a system-wide
 * run at priority performance): a p95 at most 0.4 of `baseline`'s and below every peer's, in every repeat.
 * When it is not met, the check says what holds the p95 up, from the same runs: the p95 of the requests that
 * did not wait for a worker boot (what the p95 would be with every boot avoided) against the target, and the
 * endpoints whose own p95 without boots is above it, with their share of the requests; from the warming floor of
 * the replay's compression, whether any warmer could avoid enough boots for that p95 to be reached; and, from
 * the quote reads no read-through cache can serve and the quote service's latency model, how many requests
 * quote misses alone leave above the target.
 */
import type { ReadThroughFloor } from "../sim/read_through_floor.ts";
import type { WarmingFloorRow } from "../sim/warming_floor.ts";
import { type LatencyPercentiles, logNormalShareAbove } from "../reference_app/upstream_behaviour.ts";
import { f2, type TargetCheck } from "./index_targets.ts";
import type { ComparisonReport } from "./report.ts";
import type { ScenarioRun } from "./scenario.ts";

/** The thresholds the target is stated with. */
export const overallTargets = {
  /** optimized / baseline p95, highest paired ratio. */
  maxP95Ratio: 0.4,
  peers: ["peers-5m", "peers-1m", "peers-per-query"],
  /** The share of requests a p95 leaves above it. */
  aboveP95: 0.05,
} as const;

/** What bounds the p95 from below whatever the suite does, when the harness worked it out. */
export interface OverallBounds {
  /** The warming floor's `all functions` row at the replay's compression. */
  boots?: WarmingFloorRow | null;
  /** The quote reads a read-through cache cannot serve, and the quote service's latency model in the harness. */
  quotes?: { floor: ReadThroughFloor; serviceLatency: LatencyPercentiles } | null;
}

/** Pure: the target checked on a comparison of `baseline`, the peers and `optimized`, and their runs. */
export function checkOverallTargets(
  report: ComparisonReport,
  runs: readonly ScenarioRun[],
  bounds: OverallBounds = {},
): TargetCheck[] {
  const t = overallTargets;
  const vsBaseline = report.ratios["optimized / baseline"]?.["p95"];
  const vsPeers = t.peers.map((peer) => ({ peer, ratio: report.ratios[`optimized / ${peer}`]?.["p95"] }));
  const met = vsBaseline?.max !== null && vsBaseline?.max !== undefined && vsBaseline.max <= t.maxP95Ratio &&
    vsPeers.every(({ ratio }) => ratio?.max !== null && ratio?.max !== undefined && ratio.max < 1);
  const measured = `${f2(vsBaseline?.median)} of baseline (${f2(vsBaseline?.min)}–${
    f2(vsBaseline?.max)
  } over ${vsBaseline?.n ?? 0} pairs); highest against a peer ${
    vsPeers.map(({ peer, ratio }) => `${peer} ${f2(ratio?.max)}`).join(", ")
  }`;
  return [{
    target: `p95 of optimized ≤ ${t.maxP95Ratio} of baseline and below every peer in every repeat`,
    measured: met ? measured : [
      measured,
      whatHoldsItUp(runs),
      ...boundByBoots(bounds.boots ?? null, runs),
      ...boundByQuotes(bounds.quotes ?? null, bounds.boots ?? null, runs),
    ].join(". "),
    met,
  }];
}

/** Per repeat: the target in ms, optimized's p95 without boots, and the endpoints above the target without boots. */
function whatHoldsItUp(runs: readonly ScenarioRun[]): string {
  const of = (scenario: string, repeat: number) =>
    runs.find((r) => r.scenario === scenario && r.repeat === repeat);
  const repeats = [...new Set(runs.filter((r) => r.scenario === "optimized").map((r) => r.repeat))].sort();
  const parts = repeats.flatMap((repeat) => {
    const optimized = of("optimized", repeat)?.figures;
    const baselineP95 = of("baseline", repeat)?.figures.overall.p95;
    if (!optimized || baselineP95 === null || baselineP95 === undefined) return [];
    const targetMs = overallTargets.maxP95Ratio * baselineP95;
    const total = optimized.overall.count;
    const above = Object.entries(optimized.byEndpoint)
      .filter(([, figures]) => figures.warmP95 !== null && figures.warmP95 > targetMs)
      .sort(([, a], [, b]) => b.count - a.count)
      .map(([endpoint, figures]) =>
        `${endpoint} ${figures.warmP95} ms (${((figures.count / total) * 100).toFixed(1)} % of requests)`
      );
    return [
      `repeat ${repeat}: target ${targetMs.toFixed(1)} ms; p95 without the requests that waited for a boot ` +
      `${optimized.overall.warmP95} ms (${
        f2((optimized.overall.warmP95 ?? 0) / baselineP95)
      } of baseline); ` +
      `endpoints above the target without boots: ${above.length === 0 ? "none" : above.join(", ")}`,
    ];
  });
  return `What holds it up, per repeat (with every boot avoided the p95 would be about the p95 without boots): ${
    parts.join("; ")
  }`;
}

/**
 * Whether boots alone keep the target out of reach at this compression: a clairvoyant warmer still leaving
 * more than the share of requests above a p95 waiting for a boot.
 */
function boundByBoots(floor: WarmingFloorRow | null, runs: readonly ScenarioRun[]): string[] {
  if (floor === null || floor.requests === 0) return [];
  const share = floor.clairvoyant / floor.requests;
  const left = `a clairvoyant warmer would leave ${floor.clairvoyant} of the window's ${floor.requests} ` +
    `requests (${
      (share * 100).toFixed(1)
    } %) waiting for a boot at this compression (bench/sim/warming_floor.ts)`;
  if (share <= overallTargets.aboveP95) return [`Boots alone need not hold it up: ${left}`];
  const coldMs = runs.filter((r) => r.scenario === "optimized").map((r) => r.figures.medianLatencyMs.cold)
    .filter((ms) => ms !== null).map((ms) => ms.toFixed(1));
  return [
    `Boots alone hold it up whatever the warmer does, as long as a request that waits for a boot takes longer ` +
    `than the target: ${left}, more than the ${
      overallTargets.aboveP95 * 100
    } % of requests a p95 leaves above it; optimized's requests that waited for a boot took a median ${
      coldMs.join(" / ")
    } ms per repeat`,
  ];
}

/**
 * How many requests quote misses alone leave above the target, at the most lenient repeat's target (so for
 * every repeat at least as many): the reads a read-through cache must send to the quote service times the share
 * of the service's answers slower than the target, and the same for a refresher that kept every key fresh. The
 * verdict counts the boot waits a clairvoyant warmer leaves as above the target too, as they are when a boot
 * takes longer than it (the check on boots gives optimized's boot-wait latency).
 */
function boundByQuotes(
  quotes: OverallBounds["quotes"],
  boots: WarmingFloorRow | null,
  runs: readonly ScenarioRun[],
): string[] {
  const baselineP95s = runs.filter((r) => r.scenario === "baseline").map((r) => r.figures.overall.p95)
    .filter((ms) => ms !== null);
  if (!quotes || quotes.floor.reads === 0 || baselineP95s.length === 0) return [];
  const { floor, serviceLatency } = quotes;
  const targetMs = overallTargets.maxP95Ratio * Math.max(...baselineP95s);
  const slower = logNormalShareAbove(serviceLatency, targetMs);
  const bootShare = boots && boots.requests > 0 ? boots.clairvoyant / boots.requests : 0;
  const percent = (share: number, digits = 1) => `${(share * 100).toFixed(digits)} %`;
  const withBoots = (share: number) =>
    boots ? `; ${percent(share + bootShare)} with the ${boots.clairvoyant} boot waits of that warmer` : "";
  const above = (misses: number) => {
    const share = (misses * slower) / floor.requests;
    const count = Math.round(misses * slower);
    return {
      text: `about ${count} requests above the target (${percent(share)} of the window's ${floor.requests}` +
        `${withBoots(share)})`,
      // the boot waits counted as above the target, as they are when a boot takes longer than it
      total: share + bootShare,
    };
  };
  const readThrough = above(floor.unservable);
  const refresher = above(floor.keys);
  const limit = overallTargets.aboveP95;
  const against = (total: number) =>
    `${percent(total, 2)} against the ${percent(limit, 0)} a p95 leaves above it`;
  const fresh = `fresh for ${floor.freshMs / 1000} s`;
  const verdict = readThrough.total <= limit
    ? `Quote misses need not hold it up: ${against(readThrough.total)}`
    : refresher.total <= limit
    ? `With quotes ${fresh}, only loading them ahead of the reads could bring the p95 to the target: a cache ` +
      `that loads on a read leaves ${against(readThrough.total)}, the refresher ${
        percent(refresher.total, 2)
      }`
    : `With quotes ${fresh}, not even that refresher could bring the p95 to the target: ` +
      `${against(refresher.total)} (a cache that loads on a read ${percent(readThrough.total, 2)})`;
  const model = `an estimate; model: the quote service's latency in the harness, log-normal with median ` +
    `${serviceLatency.median} ms and p99 ${serviceLatency.p99} ms`;
  const unservable =
    `of the window's ${floor.reads} ${floor.endpoint} reads, ${floor.unservable} had no read ` +
    `of the same key in the ${floor.freshMs / 1000} s before`;
  const slowerText = `the most lenient repeat's target (${targetMs.toFixed(1)} ms) for ${percent(slower)}`;
  const calls = `${floor.refresherCalls} calls to the quote service ` +
    `(${(floor.refresherCalls / floor.reads).toFixed(1)} per read)`;
  return [
    `Quote reads (${model}): ${unservable}, so a cache that loads on a read, of any size and shared by every ` +
    `isolate, sends each to the quote service, which alone takes longer than ${slowerText} of its calls: ` +
    `${readThrough.text}. A refresher that kept every quote key fresh from its first read would still miss ` +
    `${floor.keys} reads, ${refresher.text}, at ${calls}. ${verdict}`,
  ];
}
