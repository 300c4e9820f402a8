import { createRequestTally, type RequestTally } from "../http/request_tally.ts";
import type { MetricReporter } from "../metrics/metric_reporter.ts";
import type { BreakerEvent } from "./shared_breaker.ts";

/** Kind of the events that record a breaker's transitions, one each: attrs `{from, to}`, error when it opens. */
export const breakerTransitionKind = "breaker";
/** Kind of the events that count, per minute, the calls a breaker rejected (tallied as request_tally.ts does). */
export const breakerRejectedKind = "breaker_rejected";
/**
 * Kind of the events that record the calls a breaker let through, one each: the dependency's latency, error
 * when it failed. What the breaker analyzer (shared/analyze/breaker.ts) reads its failure and latency patterns from.
 */
export const breakerCallKind = "breaker_call";

/** Options of breakerMetricEvents(); defaults as in createRequestTally(). */
export interface BreakerMetricEventsOptions {
  /** Wall-clock time for the minutes of the counts (default: the system clock). */
  now?: () => Date;
  /** Keeps the isolate alive for the flush at unload; defaults to EdgeRuntime.waitUntil when present. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/**
 * An `onEvent` for createSharedBreaker() that turns its events into metric events (system `edge`, target the
 * breaker's name): a transition or a call let through becomes one event (a request makes one call at most, so
 * these grow with the requests); rejected calls are counted in memory and recorded once a minute, since an open
 * breaker may reject every request of a busy function.
 */
export function breakerMetricEvents(
  reporter: MetricReporter,
  options: BreakerMetricEventsOptions = {},
): (event: BreakerEvent) => void {
  const tallies = new Map<string, RequestTally>();
  return (event) => {
    if (event.kind === "rejected") {
      let tally = tallies.get(event.name);
      if (!tally) {
        tally = createRequestTally({ target: event.name, reporter, ...options });
        tallies.set(event.name, tally);
      }
      tally.count({ kind: breakerRejectedKind, status: 503, coldStart: false, latencyMs: 0 });
      return;
    }
    if (event.kind === "call") {
      reporter.record({
        occurredAt: new Date(event.atMs).toISOString(),
        system: "edge",
        target: event.name,
        kind: breakerCallKind,
        latencyMs: event.latencyMs,
        error: event.failed,
        coldStart: false,
      });
      return;
    }
    reporter.record({
      occurredAt: new Date(event.atMs).toISOString(),
      system: "edge",
      target: event.name,
      kind: breakerTransitionKind,
      error: event.to === "open",
      coldStart: false,
      attrs: { from: event.from, to: event.to },
    });
  };
}
