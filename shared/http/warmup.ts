/**
 * Warm-up pings keep an edge isolate booted so that real requests skip the cold start. A ping is any request
 * with the header `x-warmup: 1` or the query `?warmup=1` (also `true`). It is answered before credentials are
 * checked, with `200 {"warm":true,"coldStart":<bool>,"workerAgeMs":<ms>}`: it needs no credentials because it
 * does nothing a request would not do first (at most what warmupPreparer() bounds, below), and reveals nothing
 * except whether this isolate had just booted and how long ago it booted. A warmer needs
 * the age: a worker is retired a fixed time after its boot however busy (150 s on hosted Supabase's Free
 * plan, 400 s on paid plans), so its age tells when the next request would find no worker.
 */

const truthy = new Set(["1", "true"]);

/** Whether `request` is a warm-up ping: the `x-warmup` header decides when present, else `?warmup`. */
export function isWarmupRequest(request: Request): boolean {
  const header = request.headers.get("x-warmup");
  if (header !== null) return truthy.has(header.trim().toLowerCase());
  const query = new URL(request.url).searchParams.get("warmup");
  return query !== null && truthy.has(query.trim().toLowerCase());
}

/**
 * How long ago this isolate booted, in whole ms: `performance.now()` counts from the isolate's time origin,
 * which is its start.
 */
export function workerAgeMs(): number {
  return Math.round(performance.now());
}

/**
 * The answer to a warm-up ping: `200 {"warm":true,"coldStart":<bool>,"workerAgeMs":<ms>}`, never cached.
 * `coldStart` says whether this isolate had just booted, `workerAgeMs` how long ago; `headers` are added (e.g.
 * the request id).
 */
export function warmupResponse(coldStart: boolean, headers: HeadersInit = {}): Response {
  return Response.json({ warm: true, coldStart, workerAgeMs: workerAgeMs() }, {
    status: 200,
    headers: { "cache-control": "no-store", ...Object.fromEntries(new Headers(headers)) },
  });
}

/** Options of warmupPreparer(); `prepare` is required. */
export interface WarmupPreparerOptions {
  /**
   * What a ping does so that the next request finds it done: open what the first request would otherwise
   * open, e.g. `() => sql\`select 1\`` for a database pool.
   */
  prepare: () => unknown;
  /** A ping runs `prepare` only when the last run started at least this long ago (default 10 s). */
  minIntervalMs?: number;
  /** How long a ping's answer waits for `prepare`; it goes on after that (default 1 s). */
  waitMs?: number;
  /** Keeps the isolate alive while `prepare` runs on after the answer. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Monotonic milliseconds (default performance.now). */
  clock?: () => number;
  /** Where a failed `prepare` is reported (default console.warn). */
  onError?: (error: unknown) => void;
}

export const warmupPreparerDefaults = {
  /**
   * Pings need no credentials, so anyone can send them: this bounds the work they cause to one `prepare` per
   * isolate per interval, while still reopening a pool whose idle connections closed since the last ping.
   */
  minIntervalMs: 10_000,
  /** A ping's answer tells the warmer the worker is ready; a slow `prepare` must not make it time out. */
  waitMs: 1_000,
} as const;

/**
 * A warm-up ping that only boots an isolate leaves the first request to open the database connection: on the
 * local stack that request took about 28 ms against 3.5 ms for the next (10 ms without database work). The
 * returned function runs `prepare` for a ping, at most one run at a time and one per `minIntervalMs`, and
 * resolves when `prepare` settled or `waitMs` passed, whichever comes first. It never rejects: a ping is
 * answered whatever `prepare` does.
 */
export function warmupPreparer(options: WarmupPreparerOptions): () => Promise<void> {
  const minIntervalMs = options.minIntervalMs ?? warmupPreparerDefaults.minIntervalMs;
  const waitMs = options.waitMs ?? warmupPreparerDefaults.waitMs;
  if (!(minIntervalMs >= 0)) throw new Error(`minIntervalMs must be >= 0: got ${minIntervalMs}`);
  if (!(waitMs >= 0)) throw new Error(`waitMs must be >= 0: got ${waitMs}`);
  const clock = options.clock ?? (() => performance.now());
  const onError = options.onError ??
    ((error: unknown) => console.warn(`warm-up: prepare failed: ${(error as Error)?.message ?? error}`));
  let running: Promise<void> | null = null;
  let lastStartedAt = -Infinity;

  return () => {
    if (!running && clock() - lastStartedAt >= minIntervalMs) {
      lastStartedAt = clock();
      running = Promise.resolve()
        .then(options.prepare)
        .then(() => {}, onError)
        .finally(() => running = null);
      options.waitUntil?.(running);
    }
    if (!running) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => timer = setTimeout(resolve, waitMs));
    return Promise.race([running, waited]).finally(() => clearTimeout(timer));
  };
}
