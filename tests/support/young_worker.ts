/**
 * A warmer run plans only the pings its own worker lives to send (a worker is retired a fixed lifetime after
 * its boot). A test that needs a run to plan the coming seconds waits, when the function's live worker is near
 * the end of its lifetime, until the gateway has retired it, so that the run boots a young one. It reads the
 * local gateway's GET /_stack/workers; against another stack (no such route) it does not wait.
 */
import { stackEnv } from "./env.ts";

/** Waits until `fn` has no live worker within `marginMs` of `lifetimeMs` (the stack's 150 s by default). */
export async function awaitYoungWorker(fn: string, marginMs = 30_000, lifetimeMs = 150_000): Promise<void> {
  const response = await fetch(`${stackEnv().url}/_stack/workers`);
  if (!response.ok) {
    await response.body?.cancel();
    return;
  }
  const { workers } = await response.json() as { workers: { function: string; startedAt: string }[] };
  const retiresAt = Math.max(
    -Infinity,
    ...workers.filter((w) => w.function === fn).map((w) => Date.parse(w.startedAt) + lifetimeMs),
  );
  const waitMs = retiresAt - Date.now();
  if (waitMs > 0 && waitMs < marginMs) await new Promise((resolve) => setTimeout(resolve, waitMs + 1_000));
}
