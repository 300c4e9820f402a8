/**
 * Warming in virtual time: one function's requests against the worker model, with a warming policy that sends
 * pings. A policy is any object with a name and a per-function `decide` function; the engine asks it, after
 * every request and every ping, when its next ping is due, and sends that ping if it comes no later than the
 * next request (pings first on a tie, so a ping at a request's instant serves that request).
 *
 * A policy sees the function's requests up to now, its own pings and the worker's state (a real pinger reads
 * the first two from the metric store and knows the platform's documented limits). A policy that declares
 * itself `clairvoyant` also sees the requests still to come; that is how the oracle is built, and nothing else
 * in the engine treats it differently.
 */
import { FunctionWorkers, type WorkerOptions, type WorkerView } from "./worker.ts";

/** Ascending times in ms; `at(i)` for 0 <= i < length. */
export interface TimeSeriesView {
  readonly length: number;
  at(index: number): number;
}

export interface WarmingContext {
  fn: string;
  nowMs: number;
  /** Pings after this instant are not sent (the end of the trace). */
  endMs: number;
  /** This function's requests before now (a request at exactly now is not in it yet when a ping ties). */
  history: TimeSeriesView;
  /** The requests still to come, for clairvoyant policies only; null for the others. */
  future: TimeSeriesView | null;
  /** The pings this policy sent to this function so far. */
  pings: TimeSeriesView;
  worker: WorkerView;
  coldStartMs: number;
  workerOptions: WorkerOptions;
}

/** Returns the time of the next ping (>= nowMs and later than the last ping), or null for none before the next request. */
export type WarmingDecide = (context: WarmingContext) => number | null;

export interface WarmingPolicy {
  name: string;
  /** One line, with the parameters, for the report. */
  description: string;
  /** Sees `future`. */
  clairvoyant?: boolean;
  /** A decide function with its own state for one function; called once per function and policy run. */
  forFunction(fn: string): WarmingDecide;
}

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
