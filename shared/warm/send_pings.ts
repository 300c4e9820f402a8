import { runAtInstants } from "../run_at_instants.ts";
import type { PingOutcome } from "./warmer_store.ts";

/**
 * Sends planned warm-up pings at their instants: each waits for its time, then for one of `concurrency` slots,
 * and is given `timeoutMs` to answer. The answer (`{"warm":true,"coldStart":…,"workerAgeMs":…}`,
 * shared/http/warmup.ts) says whether the worker was cold and how old it is; anything else is a failure with
 * its reason. Every outcome goes to `record` as it comes, so that a run cut short keeps what it sent.
 */

/** A ping to send: the stored ping's id, the function and the instant (epoch ms). */
export interface PingToSend {
  /** The stored ping's id. */
  id: string;
  /** The function to ping. */
  fn: string;
  /** When to send it (epoch ms). */
  atMs: number;
}

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
  /** The clock (epoch ms). */
  now: () => number;
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
  /** Pings that found a cold worker (and booted it). */
  coldStarts: number;
  /** Outcomes that could not be stored (the database out of reach). */
  unrecorded: number;
  /** The last of those storage errors; null when none. */
  lastRecordError: string | null;
}

/** Sends one ping and reads its answer. */
async function sendOne(ping: PingToSend, o: PingSenderOptions): Promise<PingOutcome> {
  const sentAt = new Date(o.now());
  const started = performance.now();
  const url = `${o.baseUrl.replace(/\/+$/, "")}/functions/v1/${encodeURIComponent(ping.fn)}?warmup=1`;
  try {
    const response = await o.fetch(url, {
      method: "GET",
      headers: { ...o.headers, "x-warmup": "1" },
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const text = await response.text();
    const latencyMs = performance.now() - started;
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
      workerAgeMs: typeof body.workerAgeMs === "number" ? Math.round(body.workerAgeMs) : null,
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
      latencyMs: performance.now() - started,
      error: timedOut
        ? `no answer within ${o.timeoutMs} ms`
        : String(error instanceof Error ? error.message : error),
    };
  }
}

/** Sends `pings` at their instants within the concurrency limit; resolves when all are done. */
export async function sendPings(
  pings: readonly PingToSend[],
  o: PingSenderOptions,
  record: (id: string, outcome: PingOutcome) => Promise<void>,
): Promise<SendSummary> {
  const summary: SendSummary = { sent: 0, failed: 0, coldStarts: 0, unrecorded: 0, lastRecordError: null };
  await runAtInstants(pings, o, async (ping) => {
    const outcome = await sendOne(ping, o);
    if (outcome.error === null) summary.sent++;
    else summary.failed++;
    if (outcome.coldStart) summary.coldStarts++;
    // One outcome that cannot be stored must not stop the pings after it.
    await record(ping.id, outcome).catch((error) => {
      summary.unrecorded++;
      summary.lastRecordError = error instanceof Error ? error.message : String(error);
    });
  });
  return summary;
}
