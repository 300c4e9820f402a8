import type { WarmingPolicy } from "./policy.ts";
import { formatDuration } from "./format_duration.ts";

/**
 * serverless-plugin-warmup style: a ping every `intervalMs` all day (at multiples of the interval from the
 * trace start), whatever the traffic; the plugin's default is 5 minutes.
 */
export function fixedInterval(intervalMs: number): WarmingPolicy {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new Error(`fixedInterval: intervalMs must be a finite number > 0: got ${intervalMs}`);
  }
  return {
    name: `fixed(${formatDuration(intervalMs)})`,
    description: `a ping every ${formatDuration(intervalMs)}, all day`,
    forFunction: () => ({ nowMs, pings }) => {
      const due = Math.ceil(nowMs / intervalMs) * intervalMs;
      const afterLast = pings.length > 0
        ? (Math.floor(pings.at(pings.length - 1) / intervalMs) + 1) * intervalMs
        : 0;
      return Math.max(due, afterLast);
    },
  };
}
