import type { OptimizationPriority } from "../config/config.ts";
import { MINUTE_MS } from "../time.ts";
import { GrowingMinuteCounts } from "./arrival_rate.ts";
import { IdleGaps } from "./idle_gaps.ts";
import { planWarmups, type WarmPing, warmPlanDefaults } from "./plan_warmups.ts";
import type { TimeSeriesView, WarmingPolicy } from "./policy.ts";

/** The latest request in `history` at or before `atMs`; -Infinity when none. */
function lastRequestBy(history: TimeSeriesView, atMs: number): number {
  for (let i = history.length - 1; i >= 0; i--) if (history.at(i) <= atMs) return history.at(i);
  return -Infinity;
}

/**
 * The deployed warmer as a warming policy: planWarmups(), the code the `warmer` function runs, fed only what the
 * warmer can know. So the simulation measures what the function does, not what the planner could do with
 * perfect information (plannerPolicy()). At each minute's start it plans that minute from:
 * - the requests of the whole minutes before, counted per minute (the rollups);
 * - the instant of the last request stored by then, `requestStoredWithinMs` after it came (the deployed warmer
 *   reads the raw events of the last minutes, whose instants are exact);
 * - the gaps between the minutes that had requests;
 * - its own pings, and the boot of the worker each one found (the warm-up answer's `workerAgeMs`).
 * It then sends each ping it planned at its instant, but for a refresh or pre-warm after which a request came
 * that it could see: one stored `requestStoredWithinMs` before the send. The hour's ping budget is not modelled
 * (functions are simulated one at a time), so neither is its pacing.
 */
export function warmerPolicy(priority: OptimizationPriority = "performance"): WarmingPolicy {
  return {
    name: `warmer (${priority})`,
    description: `the warmer function's planWarmups() at priority ${priority}, planning each minute from ` +
      "per-minute counts and its own pings' answers, a refresh or pre-warm dropped when a stored request came " +
      "after it was planned",
    replanEveryMs: MINUTE_MS,
    forFunction: (fn) => {
      const counts = new GrowingMinuteCounts();
      const gaps = new IdleGaps({ resolutionMs: MINUTE_MS });
      let learned = 0;
      let lastActiveMinute: number | null = null;
      let plannedMinute = -Infinity;
      let planned: WarmPing[] = [];
      let lastPingMs: number | null = null;
      let bootedAtMs: number | null = null;
      return (context) => {
        const { history, pings, nowMs, worker } = context;
        // A ping was just sent: its answer tells the worker's age.
        const lastPing = pings.length > 0 ? pings.at(pings.length - 1) : null;
        if (lastPing !== null && lastPing !== lastPingMs) {
          lastPingMs = lastPing;
          bootedAtMs = worker.bootedAtMs;
        }
        const minute = Math.floor(nowMs / MINUTE_MS);
        if (minute > plannedMinute) {
          // The whole minutes before this one, as the rollups give them.
          for (; learned < history.length && history.at(learned) < minute * MINUTE_MS; learned++) {
            const requestMinute = Math.floor(history.at(learned) / MINUTE_MS);
            counts.add(history.at(learned));
            if (lastActiveMinute !== null && requestMinute > lastActiveMinute) {
              gaps.add((requestMinute - lastActiveMinute) * MINUTE_MS);
            }
            lastActiveMinute = requestMinute;
          }
          const startMs = minute * MINUTE_MS;
          const lastStored = lastRequestBy(history, startMs - warmPlanDefaults.requestStoredWithinMs);
          const plan = planWarmups(
            [{
              fn,
              counts,
              gaps,
              lastRequestMs: lastStored === -Infinity ? null : lastStored,
              lastPingMs,
              bootedAtMs,
              coldStartMs: context.coldStartMs,
              backedOffUntilMs: null,
              pendingPingsMs: [],
            }],
            startMs,
            {
              ...warmPlanDefaults,
              priority,
              pingsPerHour: Infinity,
              pingsLeft: Infinity,
              workerOptions: context.workerOptions,
            },
          );
          planned = plan.pings;
          plannedMinute = minute;
        }
        const after = lastPing ?? -Infinity;
        // The sender's look for requests just before each ping, with what the store holds by then.
        const sent = planned.find(({ atMs, droppedAfterRequestSinceMs: since }) =>
          atMs >= nowMs && atMs > after &&
          !(since !== null && lastRequestBy(history, atMs - warmPlanDefaults.requestStoredWithinMs) > since)
        );
        return sent?.atMs ?? null;
      };
    },
  };
}
