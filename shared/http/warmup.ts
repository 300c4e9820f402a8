/**
 * Warm-up pings keep an edge isolate booted so that real requests skip the cold start. A ping is any request
 * with the header `x-warmup: 1` or the query `?warmup=1` (also `true`). It is answered at once, before
 * credentials are checked or the database is touched, with
 * `200 {"warm":true,"coldStart":<bool>,"workerAgeMs":<ms>}`: it needs no credentials because it does nothing,
 * and reveals nothing except whether this isolate had just booted and how long ago it booted. A warmer needs
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
