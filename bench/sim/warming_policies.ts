/**
 * The two warming policies that exist only in the simulation: none, and the oracle that bounds every policy.
 * The policies a warmer can run (fixed intervals, the histogram policy, the suite's planner) are in shared/warm/.
 */
import type { WarmingPolicy } from "../../shared/warm/policy.ts";
import { coveringPing } from "../../shared/warm/covering_ping.ts";

export function noWarming(): WarmingPolicy {
  return {
    name: "none",
    description: "no pings",
    forFunction: () => () => null,
  };
}

/**
 * Knows the future: pings only when the next request would otherwise find no live worker, as late as still
 * helps (coldStartMs before it, so the boot is done when it arrives; at the instant a worker's lifetime ends if
 * that is later, which the request then waits for in part). It has no cold starts under the worker model, and
 * each of its pings saves exactly one request that would have been cold.
 */
export function oracle(): WarmingPolicy {
  return {
    name: "oracle",
    description: "clairvoyant: a ping coldStartMs before each request that would otherwise be cold",
    clairvoyant: true,
    forFunction: () => (context) => {
      const { future } = context;
      if (future === null || future.length === 0) return null;
      const next = future.at(0);
      return coveringPing(context, next, next);
    },
  };
}
