/**
 * What a warmer knows about an edge-function worker: it is warm from its boot until it is retired, either
 * `idleTimeoutMs` after the last request or ping it served, or `maxLifetimeMs` after its boot, busy or not
 * (hosted Supabase: 150 s on Free, 400 s on paid plans). A ping refreshes the idle deadline but cannot extend
 * the lifetime: when it ends, the next request or ping boots a successor.
 */

export interface WorkerOptions {
  /** A worker serving no request or ping for this long is retired. */
  idleTimeoutMs: number;
  /** A worker is retired this long after its boot, however busy. */
  maxLifetimeMs: number;
}

/** Wall-clock lifetime of a hosted Supabase Edge Functions worker (docs "functions/limits"). */
export const hostedMaxLifetimeMs = { free: 150_000, paid: 400_000 } as const;

/**
 * Hosted Supabase publishes no idle timeout, only the wall-clock lifetime. 60 s is the local gateway's default
 * (scripts/stack/options.ts), so the simulation and the real-time replay retire workers alike; with a 150 s
 * lifetime it is the timeout that decides for all but steady traffic.
 */
export const defaultWorkerOptions: WorkerOptions = {
  idleTimeoutMs: 60_000,
  maxLifetimeMs: hostedMaxLifetimeMs.free,
};

/** The options with defaults filled in; throws when one is not a finite duration > 0. */
export function resolveWorkerOptions(partial: Partial<WorkerOptions> = {}): WorkerOptions {
  const merged = { ...defaultWorkerOptions, ...partial };
  for (const name of ["idleTimeoutMs", "maxLifetimeMs"] as const) {
    const value = merged[name];
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`worker.${name} must be a finite number of milliseconds > 0: got ${value}`);
    }
  }
  return merged;
}

/** Why a worker is retired: its idle timeout or the end of its lifetime. */
export type Retirement = "idle" | "lifetime";

/** What a warming policy may know about the function's worker at a moment. */
export interface WorkerView {
  /** When the live worker will be retired if nothing reaches it before; null when no worker is live. */
  liveUntilMs: number | null;
  /** Why the live worker will be retired then; null when none is live. */
  retiresBy: Retirement | null;
  /** When the live worker booted; null when none is live. */
  bootedAtMs: number | null;
}
