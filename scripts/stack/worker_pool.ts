/**
 * Workers of every function, with hosted-like lifecycle: one worker per function started on demand
 * (concurrent first requests share its cold start), retired after an idle timeout or a maximum wall-clock
 * lifetime. A retiring worker takes no new request; its in-flight requests finish, then it is killed, and
 * the next request cold-starts a new one.
 */
import { Worker, type WorkerSpawnSpec } from "./worker.ts";

export type RetirementReason = "idle" | "max_lifetime" | "exited" | "boot_failed" | "shutdown";

export interface PoolOptions {
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  /** Everything a spawn needs except the worker id. */
  spawnSpec: (functionName: string) => Promise<Omit<WorkerSpawnSpec, "id">>;
  log: (line: string) => void;
}

export interface Lease {
  worker: Worker;
  coldStart: boolean;
  /** Call exactly once when the response has been fully sent (or failed). */
  release: () => void;
}

export interface PoolStats {
  workers: Array<{
    id: string;
    function: string;
    state: string;
    pid: number;
    port: number | null;
    startedAt: string;
    lastActiveAt: string;
    inFlight: number;
    requests: number;
  }>;
  coldStarts: Record<string, number>;
  /**
   * Per function, the boots that reached listening and their summed time from the boot's start: how long a
   * request that found no worker (or one booting) waited, less the rest of its handling.
   */
  boots: Record<string, { ready: number; totalMs: number }>;
  retirements: Array<{ workerId: string; function: string; reason: RetirementReason; at: string }>;
  retirementsByReason: Partial<Record<RetirementReason, number>>;
}

interface Tracked {
  worker: Worker;
  idleTimer?: ReturnType<typeof setTimeout>;
  lifetimeTimer?: ReturnType<typeof setTimeout>;
  retiredFor?: RetirementReason;
}

const maxRetirementsKept = 200;

export class WorkerPool {
  readonly #options: PoolOptions;
  /**
   * The worker new requests go to, per function. A promise, registered before the first await, so that
   * concurrent first requests share one cold start.
   */
  readonly #current = new Map<string, Promise<Tracked>>();
  readonly #currentTracked = new Map<string, Tracked>();
  /** Every live worker, current or retiring. */
  readonly #live = new Map<string, Tracked>();
  readonly #coldStarts: Record<string, number> = {};
  readonly #boots: PoolStats["boots"] = {};
  readonly #retirements: PoolStats["retirements"] = [];
  readonly #retirementsByReason: PoolStats["retirementsByReason"] = {};
  #nextId = 1;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** A worker for the function, booting one if needed; throws when the boot fails. */
  async acquire(functionName: string): Promise<Lease> {
    for (;;) {
      if (this.#closed) throw new Error("the gateway is shutting down");
      let entry = this.#current.get(functionName);
      let coldStart = false;
      if (!entry) {
        const spawned = this.#spawn(functionName);
        entry = spawned;
        this.#current.set(functionName, spawned);
        spawned.catch(() => {
          if (this.#current.get(functionName) === spawned) this.#current.delete(functionName);
        });
        coldStart = true;
      }
      const tracked = await entry;
      const worker = tracked.worker;
      if (worker.state === "retiring" || worker.state === "exited") continue;
      if (worker.state === "booting") coldStart = true;
      // Counted before waiting, so a worker booting for several requests is not retired as idle meanwhile.
      worker.inFlight++;
      clearTimeout(tracked.idleTimer);
      try {
        await worker.ready;
      } catch (error) {
        worker.inFlight--;
        throw error;
      }
      worker.requests++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        worker.inFlight--;
        worker.lastActiveAt = Date.now();
        this.#afterRelease(tracked);
      };
      return { worker, coldStart, release };
    }
  }

  async #spawn(functionName: string): Promise<Tracked> {
    const startedAt = Date.now();
    const id = `${functionName}-${this.#nextId++}`;
    const spec = await this.#options.spawnSpec(functionName);
    const tracked: Tracked = { worker: new Worker({ ...spec, id }) };
    this.#coldStarts[functionName] = (this.#coldStarts[functionName] ?? 0) + 1;
    this.#currentTracked.set(functionName, tracked);
    this.#live.set(id, tracked);
    tracked.lifetimeTimer = setTimeout(
      () => this.#retire(tracked, "max_lifetime"),
      this.#options.maxLifetimeMs,
    );
    tracked.worker.ready.then(() => {
      const boots = this.#boots[functionName] ??= { ready: 0, totalMs: 0 };
      boots.ready++;
      boots.totalMs += Date.now() - startedAt;
    }, () => this.#retire(tracked, "boot_failed"));
    tracked.worker.exited.then(() => this.#retire(tracked, "exited"));
    return tracked;
  }

  #afterRelease(tracked: Tracked): void {
    const { worker } = tracked;
    if (worker.inFlight > 0) return;
    if (worker.state === "retiring") {
      void this.#finish(tracked);
      return;
    }
    clearTimeout(tracked.idleTimer);
    tracked.idleTimer = setTimeout(() => {
      if (worker.inFlight === 0) this.#retire(tracked, "idle");
    }, this.#options.idleTimeoutMs);
  }

  #retire(tracked: Tracked, reason: RetirementReason): void {
    const { worker } = tracked;
    if (tracked.retiredFor) {
      if (reason === "exited") void this.#finish(tracked);
      return;
    }
    tracked.retiredFor = reason;
    if (this.#currentTracked.get(worker.functionName) === tracked) {
      this.#currentTracked.delete(worker.functionName);
      this.#current.delete(worker.functionName);
    }
    clearTimeout(tracked.idleTimer);
    clearTimeout(tracked.lifetimeTimer);
    this.#retirements.push({
      workerId: worker.id,
      function: worker.functionName,
      reason,
      at: new Date().toISOString(),
    });
    if (this.#retirements.length > maxRetirementsKept) this.#retirements.shift();
    this.#retirementsByReason[reason] = (this.#retirementsByReason[reason] ?? 0) + 1;
    if (reason !== "shutdown") this.#options.log(`[stack] worker ${worker.id} retired (${reason})`);
    if (worker.state !== "exited") worker.state = "retiring";
    if (worker.inFlight === 0 || worker.state === "exited") void this.#finish(tracked);
  }

  async #finish(tracked: Tracked): Promise<void> {
    this.#live.delete(tracked.worker.id);
    await tracked.worker.kill();
  }

  stats(): PoolStats {
    return {
      workers: [...this.#live.values()].map(({ worker }) => ({
        id: worker.id,
        function: worker.functionName,
        state: worker.state,
        pid: worker.pid,
        port: worker.port,
        startedAt: new Date(worker.startedAt).toISOString(),
        lastActiveAt: new Date(worker.lastActiveAt).toISOString(),
        inFlight: worker.inFlight,
        requests: worker.requests,
      })),
      coldStarts: { ...this.#coldStarts },
      boots: Object.fromEntries(Object.entries(this.#boots).map(([fn, b]) => [fn, { ...b }])),
      retirements: [...this.#retirements],
      retirementsByReason: { ...this.#retirementsByReason },
    };
  }

  /** Retires every worker and kills them without waiting for in-flight requests. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#live.values()];
    for (const tracked of all) this.#retire(tracked, "shutdown");
    await Promise.all(all.map((tracked) => {
      this.#live.delete(tracked.worker.id);
      return tracked.worker.kill();
    }));
  }
}
