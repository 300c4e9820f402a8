/**
 * A warming policy, as the simulation (bench/sim/warming.ts) and anything else that replays requests drive it:
 * after every request and every ping it is asked when its next ping is due. A policy sees the function's
 * requests up to now, its own pings and the worker's state (a real warmer reads the first two from the metric
 * store and knows the platform's documented limits). A policy that declares itself `clairvoyant` also sees the
 * requests still to come; that is how an oracle is built.
 */
import type { WorkerOptions, WorkerView } from "./worker_model.ts";

/** Ascending times in ms; `at(i)` for 0 <= i < length. */
export interface TimeSeriesView {
  /** How many times. */
  readonly length: number;
  /** The time at `index`. */
  at(index: number): number;
}

/** What a policy knows when it is asked for its next ping. */
export interface WarmingContext {
  /** The function's name. */
  fn: string;
  /** The instant of the decision. */
  nowMs: number;
  /** Pings after this instant are not sent (the end of the trace). */
  endMs: number;
  /** This function's requests before now (a request at exactly now is not in it yet when a ping ties). */
  history: TimeSeriesView;
  /** The requests still to come, for clairvoyant policies only; null for the others. */
  future: TimeSeriesView | null;
  /** The pings this policy sent to this function so far. */
  pings: TimeSeriesView;
  /** The function's worker now. */
  worker: WorkerView;
  /** The measured added latency of a cold start. */
  coldStartMs: number;
  /** The platform's idle timeout and worker lifetime. */
  workerOptions: WorkerOptions;
}

/**
 * Returns the time of the next ping (>= nowMs and later than the last ping), or null for none before the next
 * request (or the next re-plan, for a policy with `replanEveryMs`).
 */
export type WarmingDecide = (context: WarmingContext) => number | null;

/** A named warming policy; `forFunction()` gives each function its own decide function and state. */
export interface WarmingPolicy {
  /** Its name in reports. */
  name: string;
  /** One line, with the parameters, for the report. */
  description: string;
  /** Sees `future`. */
  clairvoyant?: boolean;
  /**
   * Asked again at every multiple of this many ms even when nothing happened, as a warmer that plans every
   * minute is; without it, only after requests and pings.
   */
  replanEveryMs?: number;
  /** A decide function with its own state for one function; called once per function and policy run. */
  forFunction(fn: string): WarmingDecide;
}
