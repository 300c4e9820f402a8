/**
 * The fewest cold starts any warmer could leave in a replayed window: the simulation's clairvoyant oracle (it
 * pings exactly when a request would otherwise find no worker, with no budget) against no warmer, on the
 * window's own requests, with boots as long as they are in the replay.
 *
 * The replay compresses trace time, and the workers' idle timeout and lifetime with it, but a boot takes its
 * real time: at 60x a 90 ms boot lasts 5.4 s of trace time. A ping can boot a successor no earlier than the
 * instant its predecessor's lifetime ends (one worker per function), so every request in the next boot's
 * length waits for it, and the replay's gateway counts each of those as a cold start, as it counts the request
 * that started the boot. The simulation counts them as boot waits; here both are added up, as the replay
 * counts them. This bounds what the warmer can reach at that compression, whatever its budget and plan.
 */
import { simulateFunctionWarming, type WarmingCounts } from "./warming.ts";
import { noWarming, oracle } from "./warming_policies.ts";
import { resolveWorkerOptions, type WorkerOptions } from "../../shared/warm/worker_model.ts";
import type { WarmingPolicy } from "../../shared/warm/policy.ts";
import { table } from "./markdown.ts";

export interface WarmingFloorInput {
  /** The window's requests, function and trace instant (ms from the window's start), in time order. */
  requests: readonly { fn: string; atMs: number }[];
  /** The window's length in trace time. */
  durationMs: number;
  /** A worker's boot in real time, from its start until it listens (the gateway measures it so). */
  bootMs: number;
  /** How much faster than real time the window is replayed; 1 for real time. */
  compression: number;
  /** The workers' idle timeout and lifetime in trace time (the hosted defaults unless given). */
  worker?: Partial<WorkerOptions>;
}

export interface WarmingFloorRow {
  /** A function, or "all functions". */
  fn: string;
  requests: number;
  /** Requests that found no worker or waited for a boot in progress, with no warmer. */
  withoutWarmer: number;
  /** The same, with the clairvoyant warmer. */
  clairvoyant: number;
  /** The clairvoyant warmer's pings. */
  clairvoyantPings: number;
  /** clairvoyant / withoutWarmer: no warmer can do better at this compression; null without cold starts. */
  floorRatio: number | null;
}

/** Pure: per function and in all, the cold starts of no warmer and of the clairvoyant one over the window. */
export function warmingFloor(input: WarmingFloorInput): WarmingFloorRow[] {
  if (!(input.compression >= 1)) throw new Error(`compression must be >= 1: got ${input.compression}`);
  if (!(input.bootMs > 0)) throw new Error(`bootMs must be > 0: got ${input.bootMs}`);
  const workerOptions = resolveWorkerOptions(input.worker);
  const coldStartMs = input.bootMs * input.compression;
  const timesByFunction = new Map<string, number[]>();
  for (const { fn, atMs } of input.requests) {
    let times = timesByFunction.get(fn);
    if (!times) timesByFunction.set(fn, times = []);
    times.push(atMs);
  }
  const rows = [...timesByFunction].sort(([a], [b]) => a.localeCompare(b)).map(([fn, requestTimes]) => {
    const run = (policy: WarmingPolicy) =>
      simulateFunctionWarming(
        { fn, requestTimes, endMs: input.durationMs, coldStartMs, workerOptions },
        policy,
      );
    return row(fn, run(noWarming()), run(oracle()));
  });
  const total = rows.reduce(
    (sum, r) => ({
      requests: sum.requests + r.requests,
      withoutWarmer: sum.withoutWarmer + r.withoutWarmer,
      clairvoyant: sum.clairvoyant + r.clairvoyant,
      clairvoyantPings: sum.clairvoyantPings + r.clairvoyantPings,
    }),
    { requests: 0, withoutWarmer: 0, clairvoyant: 0, clairvoyantPings: 0 },
  );
  return [...rows, {
    fn: "all functions",
    ...total,
    floorRatio: ratio(total.clairvoyant, total.withoutWarmer),
  }];
}

/** The floors of one window at several compressions. */
export interface WarmingFloorAt {
  compression: number;
  bootMs: number;
  rows: WarmingFloorRow[];
}

/** The floors as a report's paragraph and table (the `all functions` row of each compression); none: nothing. */
export function warmingFloorMarkdown(floors: readonly WarmingFloorAt[]): string[] {
  if (floors.length === 0) return [];
  const bootMs = floors[0].bootMs.toFixed(0);
  return [
    "What no warmer can beat in this window (bench/sim/warming_floor.ts): the simulation replays the window's " +
    "requests against its worker model with a clairvoyant warmer (a ping exactly when a request would " +
    "otherwise find no worker, no budget) and with none. A boot lasts its real time, " +
    `${bootMs} ms here (the app's boots in the baseline runs, from start to listening, as ` +
    "the gateway measured them), so the replay's compression stretches it in trace time, and the requests that " +
    "arrive while a successor boots at a lifetime's end wait for it; those count as cold starts, as the gateway " +
    "counts them.",
    "",
    floorTable(floors),
    "",
  ];
}

function floorTable(floors: readonly WarmingFloorAt[]): string {
  return table(
    [
      "compression",
      "a boot in trace time",
      "cold starts, no warmer",
      "cold starts, clairvoyant warmer",
      "its pings",
      "floor (clairvoyant / no warmer)",
    ],
    floors.map(({ compression, bootMs, rows }) => {
      const all = rows.at(-1)!;
      const bootTraceMs = bootMs * compression;
      return [
        compression === 1 ? "1x (real time)" : `${compression}x`,
        bootTraceMs >= 1000 ? `${(bootTraceMs / 1000).toFixed(1)} s` : `${Math.round(bootTraceMs)} ms`,
        String(all.withoutWarmer),
        String(all.clairvoyant),
        String(all.clairvoyantPings),
        all.floorRatio === null ? "–" : all.floorRatio.toFixed(2),
      ];
    }),
  );
}

function row(fn: string, none: WarmingCounts, clairvoyant: WarmingCounts): WarmingFloorRow {
  const withoutWarmer = none.coldStarts + none.bootWaits;
  const left = clairvoyant.coldStarts + clairvoyant.bootWaits;
  return {
    fn,
    requests: none.requests,
    withoutWarmer,
    clairvoyant: left,
    clairvoyantPings: clairvoyant.pings,
    floorRatio: ratio(left, withoutWarmer),
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
