import type { Sql } from "./db.ts";
import { type MetricEvent, toStorageRows } from "./metric_event.ts";
import { createMetricStore } from "./metric_store.ts";

/**
 * A bounded, batching, non-blocking reporter for metric events. record() only appends to a buffer; batches go
 * to the sink when maxBatch events are waiting or flushIntervalMs after the first one. When the store is
 * down or slow, batches fail (each send is cut off after sendTimeoutMs) and are counted, and once maxBuffered
 * events wait, new ones are dropped and counted: the caller is never blocked, thrown at or held up.
 */

/**
 * Delivers one batch; a rejection (or taking longer than sendTimeoutMs) counts the batch as failed. `signal`
 * aborts when the reporter gives up on the batch: the sink must then stop its work (cancel the query).
 */
export type MetricSink = (events: MetricEvent[], signal?: AbortSignal) => Promise<unknown>;

export interface MetricReporterOptions {
  sink: MetricSink;
  /** Events per sink call; at most 1000, the metrics function's batch limit. */
  maxBatch?: number;
  flushIntervalMs?: number;
  /** Events held while the sink is slow or down; beyond this, new events are dropped. */
  maxBuffered?: number;
  sendTimeoutMs?: number;
  /** Told about every failed batch; must not throw. Defaults to a console warning. */
  onError?: (error: unknown, batchSize: number) => void;
}

export interface ReporterCounters {
  /** Events the sink accepted. */
  sent: number;
  /** Events discarded on arrival because maxBuffered events were already waiting. */
  dropped: number;
  /** Events in batches the sink rejected or did not answer in time. */
  failed: number;
  buffered: number;
}

export interface MetricReporter {
  /** Queues an event; never throws and never waits. */
  record(event: MetricEvent): void;
  /** Sends everything buffered now; resolves (never rejects) when done. */
  flush(): Promise<void>;
  /** Resolves once nothing is buffered, scheduled or in flight: hand it to EdgeRuntime.waitUntil. */
  settled(): Promise<void>;
  counters(): ReporterCounters;
}

export const reporterDefaults = {
  maxBatch: 200,
  flushIntervalMs: 1000,
  maxBuffered: 5000,
  sendTimeoutMs: 5000,
} as const;

function wholeNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number between ${min} and ${max}: got ${value}`);
  }
  return value;
}

export function createMetricReporter(options: MetricReporterOptions): MetricReporter {
  const maxBatch = wholeNumber("maxBatch", options.maxBatch ?? reporterDefaults.maxBatch, 1, 1000);
  const flushIntervalMs = wholeNumber(
    "flushIntervalMs",
    options.flushIntervalMs ?? reporterDefaults.flushIntervalMs,
    0,
  );
  const maxBuffered = wholeNumber(
    "maxBuffered",
    options.maxBuffered ?? reporterDefaults.maxBuffered,
    maxBatch,
  );
  const sendTimeoutMs = wholeNumber(
    "sendTimeoutMs",
    options.sendTimeoutMs ?? reporterDefaults.sendTimeoutMs,
    1,
  );
  const onError = options.onError ??
    ((error: unknown, batchSize: number) =>
      console.warn(
        `metric reporter: lost a batch of ${batchSize} events: ${(error as Error)?.message ?? error}`,
      ));
  const { sink } = options;

  const buffer: MetricEvent[] = [];
  const counts = { sent: 0, dropped: 0, failed: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let draining: Promise<void> | null = null;
  let waiters: (() => void)[] = [];

  const idle = () => buffer.length === 0 && timer === undefined && draining === null;

  function notifyIfIdle() {
    if (!idle()) return;
    const resolved = waiters;
    waiters = [];
    for (const resolve of resolved) resolve();
  }

  function schedule() {
    if (timer !== undefined || draining) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, flushIntervalMs);
  }

  async function send(batch: MetricEvent[]) {
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const abandon = new AbortController();
    try {
      const delivery = Promise.resolve().then(() => sink(batch, abandon.signal));
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
      counts.sent += batch.length;
    } catch (error) {
      counts.failed += batch.length;
      try {
        onError(error, batch.length);
      } catch {
        // a failing error handler must not break the reporter either
      }
    } finally {
      clearTimeout(timeout);
    }
  }

  function flush(): Promise<void> {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    draining ??= (async () => {
      while (buffer.length > 0) await send(buffer.splice(0, maxBatch));
    })().finally(() => {
      draining = null;
      notifyIfIdle();
    });
    return draining;
  }

  return {
    record(event) {
      if (buffer.length >= maxBuffered) {
        counts.dropped++;
        return;
      }
      buffer.push(event);
      if (buffer.length >= maxBatch) void flush();
      else schedule();
    },
    flush,
    settled() {
      if (idle()) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    counters: () => ({ ...counts, buffered: buffer.length }),
  };
}

export interface HttpSinkOptions {
  /** The metrics function, e.g. `${SUPABASE_URL}/functions/v1/metrics`. */
  url: string;
  /** A secret key (sb_secret_...) or the legacy service_role key. */
  apiKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * Statuses meaning the batch was not taken (503: the store or the worker was unavailable, 502: no worker
 * answered, 429: slow down), so sending it again cannot store it twice.
 */
const notTakenStatuses = new Set([429, 502, 503]);
const retryDelaysMs = [250, 1000, 2500];

/**
 * Posts batches to the metrics function; a non-2xx answer fails the batch, except that a batch the endpoint
 * did not take (notTakenStatuses) is sent again after a short, jittered delay while timeoutMs lasts.
 */
export function httpSink(options: HttpSinkOptions): MetricSink {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = wholeNumber("timeoutMs", options.timeoutMs ?? 3000, 1);
  return async (events, abandoned) => {
    const abort = new AbortController();
    abandoned?.addEventListener("abort", () => abort.abort(abandoned.reason), { once: true });
    const deadline = Date.now() + timeoutMs;
    const timeout = setTimeout(
      () => abort.abort(new Error(`metrics endpoint timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const body = JSON.stringify({ events });
    try {
      for (let attempt = 0;; attempt++) {
        const response = await doFetch(options.url, {
          method: "POST",
          headers: { apikey: options.apiKey, "content-type": "application/json" },
          body,
          signal: abort.signal,
        });
        const text = await response.text();
        if (response.ok) return;
        const delay = retryDelaysMs[attempt] === undefined
          ? null
          : retryDelaysMs[attempt] * (0.5 + Math.random());
        if (!notTakenStatuses.has(response.status) || delay === null || Date.now() + delay >= deadline) {
          throw new Error(`metrics endpoint answered ${response.status}: ${text.slice(0, 200)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        abort.signal.throwIfAborted();
      }
    } finally {
      clearTimeout(timeout);
    }
  };
}

/**
 * Inserts batches straight into the store with optimizer.ingest_metric_events: for our own functions, which
 * hold a database connection anyway (and must not post to the metrics function about themselves).
 */
export function sqlSink(sql: Sql, reporter: string): MetricSink {
  const store = createMetricStore(sql);
  return (events, signal) => store.ingest(toStorageRows(events), reporter, signal);
}
