import { HOUR_MS, MINUTE_MS } from "../time.ts";

/** "5 min", "4 h", "1.5 s": a duration for a policy's description. */
export function formatDuration(ms: number): string {
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS} min`;
  return `${ms / 1000} s`;
}
