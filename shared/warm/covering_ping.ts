import type { WarmingContext } from "./policy.ts";

/**
 * A ping meant to keep a worker from its idle retirement is sent this long before the deadline: enough for the
 * request to reach the gateway, and late enough that the worker is refreshed as rarely as possible.
 */
export const idleRefreshLeadMs = 1_000;

/**
 * The next ping that keeps a worker live at every instant of [startMs, untilMs], or null when none is needed
 * before the next event. With no worker live by then, boot `coldStartMs` before the window, so the boot is done
 * when it opens. A live worker that can last into the window is refreshed just before its idle deadline; one
 * whose lifetime ends first cannot be kept (pings do not extend a lifetime, and the model has one worker per
 * function), so its successor is booted at the instant it retires, late if that is inside the boot time.
 */
export function coveringPing(context: WarmingContext, startMs: number, untilMs: number): number | null {
  const { nowMs, worker, coldStartMs, workerOptions } = context;
  if (untilMs < nowMs || untilMs < startMs) return null;
  const liveUntil = worker.liveUntilMs;
  if (liveUntil !== null && liveUntil > untilMs) return null;
  const bootAt = Math.max(nowMs, startMs - coldStartMs);
  if (liveUntil === null || liveUntil <= bootAt) return bootAt;
  const lifetimeEnd = (worker.bootedAtMs ?? nowMs) + workerOptions.maxLifetimeMs;
  if (worker.retiresBy === "lifetime" || lifetimeEnd <= startMs) return liveUntil;
  return Math.max(nowMs, liveUntil - Math.min(idleRefreshLeadMs, workerOptions.idleTimeoutMs / 2));
}
