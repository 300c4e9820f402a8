import type { OptimizationPriority } from "../config/config.ts";
import { MINUTE_MS } from "../time.ts";
import { GrowingMinuteCounts } from "./arrival_rate.ts";
import { IdleGaps } from "./idle_gaps.ts";
import { planWarmups, warmPlanDefaults } from "./plan_warmups.ts";
import type { WarmingPolicy } from "./policy.ts";

/**
 * The deployed warmer as a warming policy: planWarmups(), the code the `warmer` function runs, fed only what the
 * warmer can know. So the simulation measures what the function does, not what the planner could do with
 * perfect information (plannerPolicy()). At each minute's start it plans that minute from:
 * - the requests of the whole minutes before, at minute resolution (the deployed warmer reads the rollups,
 *   and the events they have not folded yet to the millisecond: it knows at least this much);
 * - the gaps between the minutes that had requests;
 * - its own pings, and the boot of the worker each one found (the warm-up answer's `workerAgeMs`).
 * It then sends every ping it planned at its instant, whatever requests come in between: a plan made a minute
 * ahead cannot be taken back. The hour's ping budget is not modelled (functions are simulated one at a time).
 */
export function warmerPolicy(priority: OptimizationPriority = "performance"): WarmingPolicy {
  return {
    name: `warmer (${priority})`,
    description: `the warmer function's planWarmups() at priority ${priority}, planning each minute from ` +
      "per-minute counts and its own pings' answers, its pings sent as planned",
    replanEveryMs: MINUTE_MS,
    forFunction: (fn) => {
      const counts = new GrowingMinuteCounts();
      const gaps = new IdleGaps();
      let learned = 0;
      let lastActiveMinute: number | null = null;
      let plannedMinute = -Infinity;
      let planned: number[] = [];
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
          const plan = planWarmups(
            [{
              fn,
              counts,
              gaps,
              lastRequestMs: lastActiveMinute === null ? null : (lastActiveMinute + 1) * MINUTE_MS,
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
              pingsLeft: Infinity,
              workerOptions: context.workerOptions,
            },
          );
          planned = plan.pings.map((ping) => ping.atMs);
          plannedMinute = minute;
        }
        const after = lastPing ?? -Infinity;
        return planned.find((atMs) => atMs >= nowMs && atMs > after) ?? null;
      };
    },
  };
}
