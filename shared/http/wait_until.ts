/**
 * EdgeRuntime.waitUntil where the Supabase Edge Runtime provides it (hosted, and the local gateway's workers):
 * it keeps the isolate alive until the promise settles, so work after the answer (events, pings, refreshes)
 * is not cut off. Undefined elsewhere (plain Deno, tests), where the promise simply runs on.
 */
export function edgeRuntimeWaitUntil(): ((promise: Promise<unknown>) => void) | undefined {
  const runtime =
    (globalThis as { EdgeRuntime?: { waitUntil?: (promise: Promise<unknown>) => void } }).EdgeRuntime;
  return runtime?.waitUntil?.bind(runtime);
}
