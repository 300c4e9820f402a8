/**
 * Warm-up pings keep an edge isolate booted so that real requests skip the cold start. A ping is any request
 * with the header `x-warmup: 1` or the query `?warmup=1` (also `true`). It is answered at once, before
 * credentials are checked or the database is touched, with `200 {"warm":true,"coldStart":<bool>}`: it needs no
 * credentials because it does nothing, and reveals nothing except whether this isolate had just booted.
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
 * The answer to a warm-up ping: `200 {"warm":true,"coldStart":<bool>}`, never cached. `coldStart` says
 * whether this isolate had just booted; `headers` are added (e.g. the request id).
 */
export function warmupResponse(coldStart: boolean, headers: HeadersInit = {}): Response {
  return Response.json({ warm: true, coldStart }, {
    status: 200,
    headers: { "cache-control": "no-store", ...Object.fromEntries(new Headers(headers)) },
  });
}
