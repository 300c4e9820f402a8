import type { Sql } from "../db/client.ts";
import { type MetricEvent, toStorageRows } from "./metric_event.ts";
import { createMetricStore } from "./metric_store.ts";
import { edgeRuntimeWaitUntil } from "../http/wait_until.ts";

/**
 * A bounded, batching, non-blocking reporter for metric events. record() only appends to a buffer; batches go
 * to the sink when maxBatch events are waiting or flushIntervalMs after the first one. Each batch gets a
 * batchId once, kept across its retries, so the metrics function stores a retried batch once. A failed batch
 * is retried with jittered exponential backoff (up to maxAttempts sends) while the events held (buffered and
 * waiting for a retry) stay within maxBuffered; beyond that, or when the sink refuses the batch for good
 * (RejectedBatchError), it is lost and counted, and new events are dropped and counted once maxBuffered are
 * held. On `beforeunload` (Supabase Edge Runtime dispatches it before an isolate shuts down) everything held
 * is sent at once. The caller is never blocked, thrown at or held up.
 */

/**
 * Delivers one batch; a rejection (or taking longer than sendTimeoutMs) fails this attempt. `signal` aborts
 * when the reporter gives up on the attempt: the sink must then stop its work (cancel the query).
 */
export type MetricSink = (events: MetricEvent[], batchId: string, signal?: AbortSignal) => Promise<unknown>;

/** A sink's verdict that the batch can never be accepted (e.g. a 400): it is not retried. */
export class RejectedBatchError extends Error {
  /** Tells the error apart in logs, where the class is not visible. */
  override name = "RejectedBatchError";
}

/** Options of createMetricReporter(); only `sink` is required, the rest default to reporterDefaults. */
export interface MetricReporterOptions {
  /** Where batches go: httpSink() from outside the project, sqlSink() from our own functions. */
  sink: MetricSink;
  /** Events per sink call; at most 1000, the metrics function's batch limit. */
  maxBatch?: number;
  /** How long the first buffered event waits for others before its batch is sent (default 1000 ms). */
  flushIntervalMs?: number;
  /** Events held (buffered or waiting for a retry) while the sink is slow or down; beyond, new ones are dropped. */
  maxBuffered?: number;
  /** How long one send may take before the attempt fails and its signal aborts (default 5000 ms). */
  sendTimeoutMs?: number;
  /** Sends of one batch before it is given up (1: no retry). */
  maxAttempts?: number;
  /** Backoff before the n-th retry: a uniformly random delay up to min(retryMaxMs, retryBaseMs * 2^(n-1)). */
  retryBaseMs?: number;
  /** The longest backoff before a retry, in ms (see retryBaseMs). */
  retryMaxMs?: number;
  /** Told about every lost batch; must not throw. Defaults to a console warning. */
  onError?: (error: unknown, batchSize: number) => void;
  /** Where `beforeunload` is listened for (default globalThis); null: nowhere. */
  unloadTarget?: EventTarget | null;
  /** For tests: milliseconds now. */
  clock?: () => number;
  /** For tests: a uniform random number in [0, 1), for the backoff's jitter. */
  random?: () => number;
}

/** Events a reporter has handled since it was created; events of a send under way are in no count. */
export interface ReporterCounters {
  /** Events the sink accepted. */
  sent: number;
  /** Events discarded on arrival because maxBuffered events were already held. */
  dropped: number;
  /** Events in batches given up: refused, out of attempts, or no room to wait for a retry. */
  failed: number;
  /** Events in the buffer and in batches waiting for a retry. */
  buffered: number;
}

/** A reporter built by createMetricReporter(): record() events, and let them go in batches. */
export interface MetricReporter {
  /** Queues an event; never throws and never waits. */
  record(event: MetricEvent): void;
  /** Sends everything held now, retries included; resolves (never rejects) when this pass is done. */
  flush(): Promise<void>;
  /** Resolves once nothing is held, scheduled or in flight: hand it to EdgeRuntime.waitUntil. */
  settled(): Promise<void>;
  /** What became of the events recorded so far (a copy: it does not change afterwards). */
  counters(): ReporterCounters;
}

export const reporterDefaults = {
  maxBatch: 200,
  flushIntervalMs: 1000,
  maxBuffered: 5000,
  sendTimeoutMs: 5000,
  maxAttempts: 4,
  retryBaseMs: 250,
  retryMaxMs: 5000,
} as const;

function wholeNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number between ${min} and ${max}: got ${value}`);
  }
  return value;
}

/** Full-jitter exponential backoff before retry number `retry` (1 for the first retry). */
export function retryDelayMs(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** (retry - 1)));
}

interface Batch {
  id: string;
  events: MetricEvent[];
  /** Sends so far. */
  attempts: number;
  /** When the next attempt is due (clock ms). */
  dueAt: number;
}

/**
 * A reporter that sends events to `sink` in batches and retries failed ones within maxBuffered (the policy
 * is at the top of this file). Throws RangeError naming an out-of-range option.
 */
export function createMetricReporter(options: MetricReporterOptions): MetricReporter {
  const option = (name: keyof typeof reporterDefaults, min: number, max?: number) =>
    wholeNumber(name, options[name] ?? reporterDefaults[name], min, max);
  const maxBatch = option("maxBatch", 1, 1000);
  const flushIntervalMs = option("flushIntervalMs", 0);
  const maxBuffered = option("maxBuffered", maxBatch);
  const sendTimeoutMs = option("sendTimeoutMs", 1);
  const maxAttempts = option("maxAttempts", 1, 100);
  const retryBaseMs = option("retryBaseMs", 0);
  const retryMaxMs = option("retryMaxMs", retryBaseMs);
  const onError = options.onError ??
    ((error: unknown, batchSize: number) =>
      console.warn(
        `metric reporter: lost a batch of ${batchSize} events: ${(error as Error)?.message ?? error}`,
      ));
  const clock = options.clock ?? (() => Date.now());
  const random = options.random ?? Math.random;
  const { sink } = options;

  const buffer: MetricEvent[] = [];
  /** Failed batches waiting for their next attempt, oldest first. */
  const retrying: Batch[] = [];
  const counts = { sent: 0, dropped: 0, failed: 0 };
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let draining: Promise<void> | null = null;
  let waiters: (() => void)[] = [];

  const held = () => buffer.length + retrying.reduce((sum, batch) => sum + batch.events.length, 0);
  const idle = () =>
    buffer.length === 0 && retrying.length === 0 && flushTimer === undefined && retryTimer === undefined &&
    draining === null;

  function notifyIfIdle() {
    if (!idle()) return;
    const resolved = waiters;
    waiters = [];
    for (const resolve of resolved) resolve();
  }

  function schedule() {
    if (flushTimer !== undefined || draining) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      void drain(false);
    }, flushIntervalMs);
  }

  function scheduleRetry() {
    if (retryTimer !== undefined || draining || retrying.length === 0) return;
    const wait = Math.max(0, Math.min(...retrying.map((batch) => batch.dueAt)) - clock());
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void drain(false);
    }, wait);
  }

  function lose(batch: Batch, error: unknown) {
    counts.failed += batch.events.length;
    try {
      onError(error, batch.events.length);
    } catch {
      // a failing error handler must not break the reporter either
    }
  }

  async function send(batch: Batch) {
    let timeout: ReturnType<typeof setTimeout> | undefined;
    batch.attempts++;
    const abandon = new AbortController();
    try {
      const delivery = Promise.resolve().then(() => sink(batch.events, batch.id, abandon.signal));
      delivery.catch(() => {}); // after a timeout nobody awaits it any more
      await Promise.race([
        delivery,
        new Promise((_, reject) => {
          timeout = setTimeout(() => {
            const error = new Error(`metric sink did not answer within ${sendTimeoutMs} ms`);
            abandon.abort(error);
            reject(error);
          }, sendTimeoutMs);
        }),
      ]);
      counts.sent += batch.events.length;
    } catch (error) {
      const retryable = !(error instanceof RejectedBatchError) && batch.attempts < maxAttempts;
      if (retryable && held() + batch.events.length <= maxBuffered) {
        batch.dueAt = clock() + retryDelayMs(batch.attempts, retryBaseMs, retryMaxMs, random);
        retrying.push(batch);
      } else {
        lose(batch, error);
      }
    } finally {
      clearTimeout(timeout);
    }
  }

  /** One pass: the retries that are due (all of them when `everything`), then the buffer. */
  function drain(everything: boolean): Promise<void> {
    if (flushTimer !== undefined) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
    }
    if (retryTimer !== undefined) {
      clearTimeout(retryTimer);
      retryTimer = undefined;
    }
    draining ??= (async () => {
      const now = clock();
      const due = retrying.filter((batch) => everything || batch.dueAt <= now);
      for (const batch of due) retrying.splice(retrying.indexOf(batch), 1);
      for (const batch of due) await send(batch);
      while (buffer.length > 0) {
        await send({ id: crypto.randomUUID(), events: buffer.splice(0, maxBatch), attempts: 0, dueAt: 0 });
      }
    })().finally(() => {
      draining = null;
      if (buffer.length > 0) schedule();
      scheduleRetry();
      notifyIfIdle();
    });
    return draining;
  }

  // A pass already running may have left out retries that are not yet due: everything goes after it.
  const flush = async () => {
    if (draining) await draining;
    await drain(true);
  };

  const unloadTarget = options.unloadTarget === undefined ? globalThis : options.unloadTarget;
  unloadTarget?.addEventListener("beforeunload", () => {
    const sent = flush();
    edgeRuntimeWaitUntil()?.(sent);
  });

  return {
    record(event) {
      if (held() >= maxBuffered) {
        counts.dropped++;
        return;
      }
      buffer.push(event);
      if (buffer.length >= maxBatch) void drain(false);
      else schedule();
    },
    flush,
    settled() {
      if (idle()) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    counters: () => ({ ...counts, buffered: held() }),
  };
}

/** Options of httpSink(). */
export interface HttpSinkOptions {
  /** The metrics function, e.g. `${SUPABASE_URL}/functions/v1/metrics`. */
  url: string;
  /** A secret key (sb_secret_...) or the legacy service_role key. */
  apiKey: string;
  /** Used to post the batches (tests pass their own); default the global fetch. */
  fetch?: typeof fetch;
  /** A post not answered within this many ms is aborted and fails the attempt (default 3000). */
  timeoutMs?: number;
}

/**
 * Posts batches ({batchId, events}) to the metrics function. A non-2xx answer fails the attempt; a 4xx other
 * than 408 and 429 says the batch itself is wrong, so it is a RejectedBatchError (not retried).
 */
export function httpSink(options: HttpSinkOptions): MetricSink {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = wholeNumber("timeoutMs", options.timeoutMs ?? 3000, 1);
  return async (events, batchId, abandoned) => {
    const abort = new AbortController();
    abandoned?.addEventListener("abort", () => abort.abort(abandoned.reason), { once: true });
    const timeout = setTimeout(
      () => abort.abort(new Error(`metrics endpoint timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const response = await doFetch(options.url, {
        method: "POST",
        headers: { apikey: options.apiKey, "content-type": "application/json" },
        body: JSON.stringify({ batchId, events }),
        signal: abort.signal,
      });
      const text = await response.text();
      if (!response.ok) {
        const message = `metrics endpoint answered ${response.status}: ${text.slice(0, 200)}`;
        const refused = response.status >= 400 && response.status < 500 &&
          response.status !== 408 && response.status !== 429;
        throw refused ? new RejectedBatchError(message) : new Error(message);
      }
    } finally {
      clearTimeout(timeout);
    }
  };
}

/**
 * Inserts batches straight into the store with optimizer.ingest_metric_batch: for our own functions, which
 * hold a database connection anyway (and must not post to the metrics function about themselves).
 */
export function sqlSink(sql: Sql, reporter: string): MetricSink {
  const store = createMetricStore(sql);
  return (events, batchId, signal) => store.ingest(toStorageRows(events), reporter, { batchId, signal });
}
