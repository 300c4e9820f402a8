import { projectSecretKey } from "../http/project_secret_key.ts";
import type { MetricEvent } from "./metric_event.ts";
import { createMetricReporter, httpSink, type MetricReporter } from "./metric_reporter.ts";
import { createRequestTally, type RequestTally } from "../http/request_tally.ts";
import { isWarmupRequest, warmupPreparer, warmupResponse } from "../http/warmup.ts";
import { edgeRuntimeWaitUntil } from "../http/wait_until.ts";

/** The reporter type instrument() takes, for apps that report their own events (cache lookups) through it. */
export type { MetricReporter };

/** Options of instrument(); only `target` is required. */
export interface InstrumentOptions {
  /** The function's name as charts show it (events' target). */
  target: string;
  /** Defaults to a reporter posting to the metrics function (built from url, apiKey, fetch, timeoutMs). */
  reporter?: MetricReporter;
  /** Defaults to `${SUPABASE_URL}/functions/v1/metrics`. */
  url?: string;
  /** Defaults to SUPABASE_SECRET_KEYS' "default" key (else its first), then SUPABASE_SERVICE_ROLE_KEY. */
  apiKey?: string;
  /** Used to post the batches (tests pass their own); default the global fetch. */
  fetch?: typeof fetch;
  /** How long a post of a batch may take, in ms (default instrumentDefaults.timeoutMs). */
  timeoutMs?: number;
  /** Answer warm-up pings without calling the handler (default true). */
  warmup?: boolean;
  /**
   * What a warm-up ping does before it is answered, so that the next request finds it done: open what the
   * first request would otherwise open, e.g. `() => sql\`select 1\`` for the function's database pool. Bounded
   * as warmupPreparer() says (one run per isolate per 10 s, the answer waits at most 1 s).
   */
  prepareOnWarmup?: () => unknown;
  /** Reads SUPABASE_URL and the keys (default Deno.env.get). */
  env?: (name: string) => string | undefined;
  /** Keeps the isolate alive while events are sent; defaults to EdgeRuntime.waitUntil when present. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Monotonic milliseconds for latencies (default performance.now). */
  clock?: () => number;
  /** Wall-clock time for the events' occurredAt (default: the system clock). */
  now?: () => Date;
}

export const instrumentDefaults = {
  /**
   * How long a batch may take to be answered. One given up on while the metrics function still works on it
   * may be stored anyway yet is counted failed, so the wait covers a metrics worker's cold start on a busy
   * machine (and the 2 s a busy store may take to answer 503, which is sent again).
   */
  timeoutMs: 10_000,
} as const;

/** The reporter instrument() uses unless given one; null (with a warning) when url or key cannot be found. */
export function defaultReporter(options: InstrumentOptions): MetricReporter | null {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const base = env("SUPABASE_URL");
  const url = options.url ?? (base ? `${base.replace(/\/+$/, "")}/functions/v1/metrics` : undefined);
  const apiKey = options.apiKey ?? projectSecretKey(env);
  if (!url || !apiKey) {
    console.warn(
      `instrument(${options.target}): metrics are off: ${
        !url ? "SUPABASE_URL" : "a secret key"
      } is missing ` +
        "(pass url and apiKey in the options)",
    );
    return null;
  }
  const timeoutMs = options.timeoutMs ?? instrumentDefaults.timeoutMs;
  return createMetricReporter({
    sink: httpSink({ url, apiKey, fetch: options.fetch, timeoutMs }),
    // The sink's own timeout decides; the reporter's cut-off only backs it up.
    sendTimeoutMs: timeoutMs + 1000,
  });
}

/**
 * Measures any Supabase edge function, ours or an app's:
 *
 *   Deno.serve(instrument(async (req) => new Response("ok"), { target: "my-fn" }));
 *
 * Each invocation becomes an event (system 'edge', kind 'request') with the time until the handler returned
 * its Response, whether it was this isolate's first invocation (cold start) and whether it failed (threw, or
 * answered 5xx). Events go in batches to `${SUPABASE_URL}/functions/v1/metrics` with a secret key from
 * SUPABASE_SECRET_KEYS, through a reporter that never delays or breaks the response: each batch carries a
 * batchId (so a retried batch is stored once), failed posts are retried with jittered backoff while the
 * reporter's buffer bound holds, then dropped and counted (see metric_reporter.ts). Warm-up pings (warmup.ts)
 * are answered without calling the handler and counted per minute as kind 'warm_ping' (request_tally.ts:
 * anyone may send them, so they must not cost a row each). When the isolate unloads (`beforeunload`), counts
 * and buffered events are sent at once. Do not wrap the metrics function itself (it would report to itself).
 * Throws when `target` is not 1 to 200 characters.
 */
export function instrument<Info>(
  handler: (request: Request, info: Info) => Response | Promise<Response>,
  options: InstrumentOptions,
): (request: Request, info: Info) => Promise<Response> {
  if (!options.target || options.target.length > 200) {
    throw new Error(`target must be 1 to 200 characters (the function's name): got '${options.target}'`);
  }
  const clock = options.clock ?? (() => performance.now());
  const now = options.now ?? (() => new Date());
  const answerWarmups = options.warmup ?? true;
  let reporter: MetricReporter | null | undefined = options.reporter;
  let tally: RequestTally | null = null;
  let served = false;
  const prepare = options.prepareOnWarmup
    ? warmupPreparer({ prepare: options.prepareOnWarmup, waitUntil, clock })
    : null;

  function waitUntil(promise: Promise<unknown>) {
    (options.waitUntil ?? edgeRuntimeWaitUntil())?.(promise);
  }

  function measured(record: (reporter: MetricReporter, tally: RequestTally) => void) {
    try {
      reporter ??= defaultReporter(options);
      if (!reporter) return;
      tally ??= createRequestTally({ target: options.target, reporter, now, waitUntil });
      record(reporter, tally);
    } catch (error) {
      // Measuring must never break the function it measures.
      console.warn(`instrument(${options.target}): could not record: ${(error as Error)?.message ?? error}`);
    }
  }

  function report(event: Omit<MetricEvent, "system" | "target">) {
    measured((reporter) => {
      reporter.record({ system: "edge", target: options.target, ...event });
      waitUntil(reporter.settled());
    });
  }

  return async (request, info) => {
    const started = clock();
    const coldStart = !served;
    served = true;
    const occurredAt = now().toISOString();
    if (answerWarmups && isWarmupRequest(request)) {
      await prepare?.();
      const latencyMs = Math.max(0, clock() - started);
      measured((_, tally) => tally.count({ kind: "warm_ping", status: 200, coldStart, latencyMs }));
      return warmupResponse(coldStart);
    }
    let response: Response;
    try {
      response = await handler(request, info);
    } catch (error) {
      report({
        occurredAt,
        kind: "request",
        latencyMs: Math.max(0, clock() - started),
        error: true,
        coldStart,
        attrs: { method: request.method, thrown: true },
      });
      throw error;
    }
    report({
      occurredAt,
      kind: "request",
      latencyMs: Math.max(0, clock() - started),
      error: response.status >= 500,
      coldStart,
      attrs: { method: request.method, status: response.status },
    });
    return response;
  };
}
