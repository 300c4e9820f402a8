/**
 * The edge-function worker model of the simulation, in virtual time and without timers: a worker is warm from
 * its boot until it is retired, either `idleTimeoutMs` after the last request or ping it served, or
 * `maxLifetimeMs` after its boot, busy or not (hosted Supabase: 150 s on Free, 400 s on paid plans).
 *
 * One worker per function, as the local gateway runs them. The pool keeps its workers in a list and routes by
 * liveness, so a concurrency limit above one would change `request()`/`ping()` routing only.
 *
 * A boot changes the state at once (the worker is live from its boot instant); its cost, `coldStartMs`, is
 * charged as latency: in full to the request that found no live worker (a cold start), and as the remainder
 * to a request that arrives while a boot is still in progress (a boot wait; it shares the boot like concurrent
 * first requests do on the gateway). Requests take no service time: idle time counts from their arrival.
 */

import type { Retirement, WorkerOptions, WorkerView } from "../../shared/warm/worker_model.ts";

export interface RequestOutcome {
  /** No live worker: this request boots one and waits the whole boot. */
  cold: boolean;
  /** Latency added by booting: coldStartMs when cold, the rest of a boot in progress, else 0. */
  waitMs: number;
}

export interface PingOutcome {
  /** No live worker: the ping booted one (and waited for it, which no user sees). */
  booted: boolean;
}

interface Worker {
  bootedAtMs: number;
  lastUseMs: number;
}

/** Workers per function of the model; the list structure is there so that this can grow. */
const maxWorkersPerFunction = 1;

export class FunctionWorkers {
  readonly #options: WorkerOptions;
  readonly #coldStartMs: number;
  #workers: Worker[] = [];
  #nowMs = -Infinity;
  readonly #retirements: Record<Retirement, number> = { idle: 0, lifetime: 0 };

  constructor(options: WorkerOptions, coldStartMs: number) {
    this.#options = options;
    this.#coldStartMs = coldStartMs;
  }

  /** Retirement time of a worker and its reason; at that instant it is no longer live. */
  #retirement(worker: Worker): { atMs: number; by: Retirement } {
    const byIdle = worker.lastUseMs + this.#options.idleTimeoutMs;
    const byLifetime = worker.bootedAtMs + this.#options.maxLifetimeMs;
    return byLifetime <= byIdle ? { atMs: byLifetime, by: "lifetime" } : { atMs: byIdle, by: "idle" };
  }

  /** Moves virtual time to `atMs`, retiring the workers whose time is up. */
  #advance(atMs: number): void {
    if (!(atMs >= this.#nowMs)) {
      throw new Error(`worker events must come in time order: ${atMs} after ${this.#nowMs}`);
    }
    this.#nowMs = atMs;
    this.#workers = this.#workers.filter((worker) => {
      const retirement = this.#retirement(worker);
      if (retirement.atMs > atMs) return true;
      this.#retirements[retirement.by]++;
      return false;
    });
  }

  #boot(atMs: number): Worker {
    if (this.#workers.length >= maxWorkersPerFunction) {
      throw new Error("booting beyond the worker limit: the routing above must reuse a live worker");
    }
    const worker = { bootedAtMs: atMs, lastUseMs: atMs };
    this.#workers.push(worker);
    return worker;
  }

  request(atMs: number): RequestOutcome {
    this.#advance(atMs);
    const live = this.#workers[0];
    if (!live) {
      this.#boot(atMs);
      return { cold: true, waitMs: this.#coldStartMs };
    }
    live.lastUseMs = atMs;
    return { cold: false, waitMs: Math.max(0, live.bootedAtMs + this.#coldStartMs - atMs) };
  }

  ping(atMs: number): PingOutcome {
    this.#advance(atMs);
    const live = this.#workers[0];
    if (!live) {
      this.#boot(atMs);
      return { booted: true };
    }
    live.lastUseMs = atMs;
    return { booted: false };
  }

  /** The state at `atMs` (>= the last event), without changing it. */
  view(atMs: number): WorkerView {
    const live = this.#workers
      .map((worker) => ({ worker, retirement: this.#retirement(worker) }))
      .find(({ retirement }) => retirement.atMs > atMs);
    if (!live) return { liveUntilMs: null, retiresBy: null, bootedAtMs: null };
    return {
      liveUntilMs: live.retirement.atMs,
      retiresBy: live.retirement.by,
      bootedAtMs: live.worker.bootedAtMs,
    };
  }

  /** Retirements seen so far, by reason (a worker still live at the end is not counted). */
  retirements(): Record<Retirement, number> {
    return { ...this.#retirements };
  }
}
