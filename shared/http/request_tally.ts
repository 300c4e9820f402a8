import type { MetricEvent } from "../metrics/metric_event.ts";
import type { MetricReporter } from "../metrics/metric_reporter.ts";
import { edgeRuntimeWaitUntil } from "./wait_until.ts";
import { MINUTE_MS } from "../time.ts";

/**
 * Counts cheap answers in memory instead of reporting one event each: 401 (no or wrong credential), 404 and
 * 405 (no such route) and warm-up pings are answered without touching the database, so an event per request
 * would let a flood of junk requests write a database row per request.
 *
 * Counts are kept per minute and per (kind, status, cold start). A minute's counts are recorded once the
 * minute is over, or at once when the isolate unloads (`beforeunload`), as ONE event per key: occurredAt is
 * the minute's start, `count` the number of requests (rollups and series count the event that many times),
 * latencyMs their mean latency and `attrs.maxLatencyMs` the slowest. A flood therefore costs at most a few
 * rows per minute per isolate.
 */

/** Statuses counted in memory: answered before any work was done. */
export const talliedStatuses: ReadonlySet<number> = new Set([401, 404, 405]);

/** Kind of the events holding counts of rejected (401/404/405) requests. */
export const rejectedKind = "rejected";

export interface TallyEntry {
  kind: typeof rejectedKind | "warm_ping" | "breaker_rejected";
  status: number;
  coldStart: boolean;
  latencyMs: number;
}

export interface RequestTally {
  count(entry: TallyEntry): void;
  /** Records every count held, the current minute's too, and flushes the reporter. */
  flush(): Promise<void>;
}

export interface RequestTallyOptions {
  target: string;
  reporter: MetricReporter;
  now?: () => Date;
  /** Keeps the isolate alive for the flush at unload; defaults to EdgeRuntime.waitUntil when present. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Listen for `beforeunload` and flush then (default true). */
  flushOnUnload?: boolean;
}

interface Counts {
  minute: number;
  entry: TallyEntry;
  count: number;
  latencySum: number;
  latencyMax: number;
}

export function createRequestTally(options: RequestTallyOptions): RequestTally {
  const { target, reporter } = options;
  const now = options.now ?? (() => new Date());
  const counts = new Map<string, Counts>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  // Records the counts of minutes before `beforeMinute` (all of them when it is Infinity).
  function record(beforeMinute: number) {
    for (const [key, held] of counts) {
      if (held.minute >= beforeMinute) continue;
      counts.delete(key);
      const event: MetricEvent = {
        occurredAt: new Date(held.minute).toISOString(),
        system: "edge",
        target,
        kind: held.entry.kind,
        latencyMs: held.latencySum / held.count,
        error: false,
        coldStart: held.entry.coldStart,
        attrs: {
          status: held.entry.status,
          maxLatencyMs: held.latencyMax,
        },
        count: held.count,
      };
      reporter.record(event);
    }
  }

  function scheduleMinuteEnd(minute: number) {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      const current = Math.floor(now().getTime() / MINUTE_MS) * MINUTE_MS;
      record(current);
      if (counts.size > 0) scheduleMinuteEnd(current);
    }, Math.max(0, minute + MINUTE_MS - now().getTime()));
    // Counting must not keep an otherwise finished process alive; an unloading isolate flushes anyway.
    if (typeof Deno.unrefTimer === "function") Deno.unrefTimer(timer);
  }

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    record(Infinity);
    return reporter.flush();
  }

  if (options.flushOnUnload ?? true) {
    globalThis.addEventListener("beforeunload", () => {
      const flushed = flush();
      const waitUntil = options.waitUntil ?? edgeRuntimeWaitUntil();
      waitUntil?.(flushed);
    });
  }

  return {
    count(entry) {
      const minute = Math.floor(now().getTime() / MINUTE_MS) * MINUTE_MS;
      // A bounded key: a flood cannot grow the map beyond a few entries per minute.
      const key = `${minute}|${entry.kind}|${entry.status}|${entry.coldStart}`;
      const held = counts.get(key);
      if (held) {
        held.count++;
        held.latencySum += entry.latencyMs;
        held.latencyMax = Math.max(held.latencyMax, entry.latencyMs);
      } else {
        counts.set(key, {
          minute,
          entry: { ...entry },
          count: 1,
          latencySum: entry.latencyMs,
          latencyMax: entry.latencyMs,
        });
      }
      scheduleMinuteEnd(minute);
    },
    flush,
  };
}
