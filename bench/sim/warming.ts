/**
 * Warming in virtual time: one function's requests against the worker model, with a warming policy that sends
 * pings. A policy is any object with a name and a per-function `decide` function; the engine asks it, after
 * every request and every ping, when its next ping is due, and sends that ping if it comes no later than the
 * next request (pings first on a tie, so a ping at a request's instant serves that request).
 *
 * What a policy sees is defined in shared/warm/policy.ts; a clairvoyant policy (the oracle) also sees the
 * requests to come, and nothing else in the engine treats it differently.
 */
import { FunctionWorkers } from "./worker.ts";
import type { TimeSeriesView, WarmingPolicy } from "../../shared/warm/policy.ts";
import type { WorkerOptions } from "../../shared/warm/worker_model.ts";

export interface WarmingCounts {
  requests: number;
  coldStarts: number;
  /** Requests that arrived while a boot was in progress and waited for its rest. */
  bootWaits: number;
  pings: number;
  /** Pings that found no live worker and booted one. */
  pingBoots: number;
  /** Latency added to users by boots: coldStarts x coldStartMs plus the boot waits. */
  addedLatencyMs: number;
}

export interface FunctionWarmingInput {
  fn: string;
  /** The function's request times, ascending. */
  requestTimes: readonly number[];
  endMs: number;
  coldStartMs: number;
  workerOptions: WorkerOptions;
}

/** A growing prefix of an array, or a suffix, seen through the TimeSeriesView interface without copying. */
class ArrayWindow implements TimeSeriesView {
  constructor(readonly values: readonly number[], public start: number, public end: number) {}
  get length(): number {
    return this.end - this.start;
  }
  at(index: number): number {
    if (!(index >= 0 && index < this.end - this.start)) {
      throw new RangeError(`index ${index} outside 0..${this.end - this.start - 1}`);
    }
    return this.values[this.start + index];
  }
}

export function emptyWarmingCounts(): WarmingCounts {
  return { requests: 0, coldStarts: 0, bootWaits: 0, pings: 0, pingBoots: 0, addedLatencyMs: 0 };
}

export function addWarmingCounts(into: WarmingCounts, from: WarmingCounts): WarmingCounts {
  into.requests += from.requests;
  into.coldStarts += from.coldStarts;
  into.bootWaits += from.bootWaits;
  into.pings += from.pings;
  into.pingBoots += from.pingBoots;
  into.addedLatencyMs += from.addedLatencyMs;
  return into;
}

export function simulateFunctionWarming(input: FunctionWarmingInput, policy: WarmingPolicy): WarmingCounts {
  const { fn, requestTimes, endMs, coldStartMs, workerOptions } = input;
  const workers = new FunctionWorkers(workerOptions, coldStartMs);
  const decide = policy.forFunction(fn);
  const pingTimes: number[] = [];
  const history = new ArrayWindow(requestTimes, 0, 0);
  const future = new ArrayWindow(requestTimes, 0, requestTimes.length);
  const pings = new ArrayWindow(pingTimes, 0, 0);
  const counts = emptyWarmingCounts();
  let nowMs = 0;
  let next = 0;
  while (true) {
    const nextRequestMs = next < requestTimes.length ? requestTimes[next] : Infinity;
    history.end = next;
    future.start = next;
    pings.end = pingTimes.length;
    const pingAt = decide({
      fn,
      nowMs,
      endMs,
      history,
      future: policy.clairvoyant ? future : null,
      pings,
      worker: workers.view(nowMs),
      coldStartMs,
      workerOptions,
    });
    if (pingAt !== null) {
      const lastPing = pingTimes.length > 0 ? pingTimes[pingTimes.length - 1] : -Infinity;
      if (!Number.isFinite(pingAt) || pingAt < nowMs || pingAt <= lastPing) {
        throw new Error(
          `warming policy "${policy.name}" asked for a ping at ${pingAt} for ${fn}: a ping must be finite, ` +
            `>= now (${nowMs}) and later than its last ping (${lastPing})`,
        );
      }
    }
    if (pingAt !== null && pingAt <= nextRequestMs && pingAt <= endMs) {
      if (workers.ping(pingAt).booted) counts.pingBoots++;
      pingTimes.push(pingAt);
      counts.pings++;
      nowMs = pingAt;
      continue;
    }
    const replanAt = policy.replanEveryMs
      ? (Math.floor(nowMs / policy.replanEveryMs) + 1) * policy.replanEveryMs
      : Infinity;
    if (replanAt < nextRequestMs && replanAt <= endMs) {
      nowMs = replanAt;
      continue;
    }
    if (next >= requestTimes.length) break;
    const outcome = workers.request(nextRequestMs);
    counts.requests++;
    if (outcome.cold) counts.coldStarts++;
    else if (outcome.waitMs > 0) counts.bootWaits++;
    counts.addedLatencyMs += outcome.waitMs;
    nowMs = nextRequestMs;
    next++;
  }
  return counts;
}
