import type { Clock } from "../clock.ts";
import { runAtInstants } from "../run_at_instants.ts";
import type { PingOutcome, WarmerStore } from "./warmer_store.ts";

/**
 * Sends planned warm-up pings at their instants: each waits for its time, then for one of `concurrency` slots,
 * and is given `timeoutMs` to answer. The answer (`{"warm":true,"coldStart":…,"workerAgeMs":…}`,
 * shared/http/warmup.ts) says whether the worker was cold and how old it is; anything else is a failure with
 * its reason. A ping that traffic can make needless (a refresh or a pre-warm) is first checked against the
 * metric store: when the function had a request after the plan was made, that request kept or booted its
 * worker, and the ping is dropped. Every outcome is stored as it comes, so that a run cut short keeps what it
 * sent. Instants and the durations stored (latency, the worker's age) are on the warmer's clock (shared/clock.ts).
 */

/** A ping to send: the stored ping's id, the function and the instant (epoch ms). */
export interface PingToSend {
  /** The stored ping's id. */
  id: string;
  /** The function to ping. */
  fn: string;
  /** When to send it (epoch ms). */
  atMs: number;
  /**
   * The ping is dropped when the function had a request after this instant (epoch ms: the last request its
   * plan knew of, WarmPing.droppedAfterRequestSinceMs); null for a ping that traffic cannot make needless (a
   * successor, a probe).
   */
  droppedAfterRequestSinceMs: number | null;
}

/** Where sendPings() stores outcomes and looks for requests. */
export type PingLog = Pick<WarmerStore, "recordOutcome" | "recordDropped" | "lastRequestAfter">;

/** Where and how pings go. */
export interface PingSenderOptions {
  /** The project's URL; a ping goes to `${baseUrl}/functions/v1/<fn>?warmup=1`. */
  baseUrl: string;
  /** Headers every ping carries (the anon key for functions whose platform JWT check is on). */
  headers: Record<string, string>;
  /** A ping not answered within this is a failure. */
  timeoutMs: number;
  /** At most this many pings in flight. */
  concurrency: number;
  /** The clock the pings' instants are on; wall-clock durations are `clock.rate` times as long on it. */
  clock: Clock;
  /** The HTTP client. */
  fetch: typeof fetch;
}

/** Defaults: 10 s to answer (a cold boot of a large function takes seconds), four pings in flight. */
export const pingSenderDefaults = { timeoutMs: 10_000, concurrency: 4 };

/** How the pings went. */
export interface SendSummary {
  /** Pings answered as warm-ups. */
  sent: number;
  /** Pings that failed (no answer in time, refused, not a warm-up answer). */
  failed: number;
  /** Pings dropped unsent because a request came first. */
  dropped: number;
  /** Pings that found a cold worker (and booted it). */
  coldStarts: number;
  /** Outcomes that could not be stored and requests that could not be looked up (the database out of reach). */
  unrecorded: number;
  /** The last of those errors; null when none. */
  lastRecordError: string | null;
}

/** Sends one ping and reads its answer. */
async function sendOne(ping: PingToSend, o: PingSenderOptions): Promise<PingOutcome> {
  const sentAt = new Date(o.clock.now());
  const started = performance.now();
  const elapsed = () => (performance.now() - started) * o.clock.rate;
  const url = `${o.baseUrl.replace(/\/+$/, "")}/functions/v1/${encodeURIComponent(ping.fn)}?warmup=1`;
  try {
    const response = await o.fetch(url, {
      method: "GET",
      headers: { ...o.headers, "x-warmup": "1" },
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const text = await response.text();
    const latencyMs = elapsed();
    let body: { warm?: unknown; coldStart?: unknown; workerAgeMs?: unknown } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not a warm-up answer: reported below
    }
    if (!response.ok || body.warm !== true) {
      return {
        sentAt,
        status: response.status,
        coldStart: null,
        workerAgeMs: null,
        latencyMs,
        error: `not a warm-up answer: ${response.status} ${text.slice(0, 200)}`,
      };
    }
    return {
      sentAt,
      status: response.status,
      coldStart: body.coldStart === true,
      workerAgeMs: typeof body.workerAgeMs === "number" ? Math.round(body.workerAgeMs * o.clock.rate) : null,
      latencyMs,
      error: null,
    };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return {
      sentAt,
      status: null,
      coldStart: null,
      workerAgeMs: null,
      latencyMs: elapsed(),
      error: timedOut
        ? `no answer within ${o.timeoutMs} ms`
        : String(error instanceof Error ? error.message : error),
    };
  }
}

/** Why a ping is dropped, or null when it goes: a request after `sinceMs` reached the worker first. */
async function droppedFor(ping: PingToSend, log: PingLog): Promise<string | null> {
  if (ping.droppedAfterRequestSinceMs === null) return null;
  const last = await log.lastRequestAfter(ping.fn, new Date(ping.droppedAfterRequestSinceMs));
  return last === null
    ? null
    : `a request at ${last.toISOString()}, after those the plan knew of, reached the worker first`;
}

/** Sends `pings` at their instants within the concurrency limit; resolves when all are done. */
export async function sendPings(
  pings: readonly PingToSend[],
  o: PingSenderOptions,
  log: PingLog,
): Promise<SendSummary> {
  const summary: SendSummary = {
    sent: 0,
    failed: 0,
    dropped: 0,
    coldStarts: 0,
    unrecorded: 0,
    lastRecordError: null,
  };
  // One outcome that cannot be stored (or looked up) must not stop the pings after it.
  const unrecorded = (error: unknown) => {
    summary.unrecorded++;
    summary.lastRecordError = error instanceof Error ? error.message : String(error);
  };
  await runAtInstants(pings, o, async (ping) => {
    // A lookup that fails sends the ping: a needless ping costs less than a cold start.
    const dropped = await droppedFor(ping, log).catch((error) => (unrecorded(error), null));
    if (dropped !== null) {
      summary.dropped++;
      await log.recordDropped(ping.id, dropped).catch(unrecorded);
      return;
    }
    const outcome = await sendOne(ping, o);
    if (outcome.error === null) summary.sent++;
    else summary.failed++;
    if (outcome.coldStart) summary.coldStarts++;
    await log.recordOutcome(ping.id, outcome).catch(unrecorded);
  });
  return summary;
}
