import {
  BrokenCircuitError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  type IBreaker,
  SamplingBreaker,
} from "cockatiel";
import { z } from "zod";
import type { BreakerStore } from "./breaker_store.ts";

/**
 * A circuit breaker around calls to one dependency (an upstream API, an AI service, another function) whose
 * state every isolate shares through a BreakerStore. Edge isolates live for minutes at most: a breaker kept in
 * memory alone would let each new isolate learn an outage again from its own users' failed requests. The
 * breaking itself is cockatiel's (CircuitBreakerPolicy with a ConsecutiveBreaker or a SamplingBreaker); this
 * adds the sharing:
 *
 * 1. **Read** the shared record at most once per `readIntervalMs` per isolate; a newer version replaces this
 *    isolate's circuit state (open with its opening time, or closed). Failure counts stay per isolate: they
 *    are each isolate's own evidence, and sharing them would cost a write per call. Only an isolate's first
 *    read holds its calls (a new isolate must know of an open circuit before it calls); later reads run
 *    beside the calls, which go on with the state known, so a slow store adds nothing to them.
 * 2. **Probe once across isolates.** When the circuit's half-open time comes, the isolate about to probe
 *    claims the probe in the store first; every other isolate keeps rejecting until the probe's outcome is
 *    written. So an outage costs one call to the dependency per `halfOpenAfterMs`, however many isolates run.
 *    A failed probe dates the reopened circuit from when the probe was sent, not from when it failed: the
 *    bound holds either way (probes are claimed at least `halfOpenAfterMs` apart), and a slow path to the
 *    dependency (a slow store, a call that hangs until its timeout) does not stretch the time to the next
 *    probe, and so the recovery after the outage ends, by however long the failed probe took. A call that comes
 *    while this isolate's own probe is out claims nothing: cockatiel holds it for the probe's outcome. Nor does
 *    one that comes while this isolate's claim is out: it waits for that claim, and if it was won, for the
 *    probe; a claim of its own would be refused, held by the first, and the call rejected. A refused claim lets
 *    the call through after all when the isolate has read meanwhile that a probe closed the circuit.
 * 3. **Write on transitions only** (to open, to closed), with the version as a compare-and-set guard: a writer
 *    whose copy was stale loses and reads again. An opening also says when its probe may be claimed, so that
 *    an isolate still holding the previous opening cannot probe right after a failed probe.
 *
 * The store is an optimization, never a dependency: when it cannot be reached the breaker goes on with what
 * this isolate knows. Openings are dated with `Date.now()`, as cockatiel dates them, so isolates on different
 * machines compare them within their clocks' skew.
 */

/**
 * When the circuit opens: after `failures` failures in a row, or when more than `threshold` of the calls over
 * the last `durationMs` failed while there were at least `minimumRps` calls a second.
 */
export type BreakerRule =
  | { kind: "consecutive"; failures: number }
  | { kind: "sampling"; threshold: number; durationMs: number; minimumRps: number };

/** Options of createSharedBreaker(); `name` and `store` are required. */
export interface SharedBreakerOptions {
  /** The dependency, as events and the store name it (1 to 200 characters). */
  name: string;
  /** Where the state all isolates share is kept (createBreakerStore() for Postgres). */
  store: BreakerStore;
  /** When the circuit opens (default sharedBreakerDefaults.rule). */
  rule?: BreakerRule;
  /** How long the circuit stays open before one probe call may test the dependency (default 10 s). */
  halfOpenAfterMs?: number;
  /** How often an isolate reads the shared record at most (default 1 s). */
  readIntervalMs?: number;
  /** Which errors count as the dependency failing (default: every error). */
  isFailure?: (error: unknown) => boolean;
  /** Transitions this isolate made and calls it rejected (breaker_events.ts turns them into metric events). */
  onEvent?: (event: BreakerEvent) => void;
  /** The store failed; the breaker went on with what this isolate knows (default console.warn). */
  onStoreError?: (error: unknown) => void;
}

/** The defaults of SharedBreakerOptions. */
export const sharedBreakerDefaults = {
  /**
   * Consecutive failures, not a failure rate: a sampling breaker needs a minimum request rate to trip, and
   * many dependencies of an app are called a few times a minute.
   */
  rule: { kind: "consecutive", failures: 5 } as BreakerRule,
  halfOpenAfterMs: 10_000,
  readIntervalMs: 1_000,
} as const;

/** A circuit's state as events and `status` name it. */
export type BreakerStateName = "closed" | "open" | "half-open";

/**
 * What a breaker reports: a transition this isolate made (and wrote), a call it rejected, or a call it let
 * through, with how long the dependency took and whether it failed (as isFailure judges).
 */
export type BreakerEvent =
  | { kind: "transition"; name: string; from: BreakerStateName; to: BreakerStateName; atMs: number }
  | { kind: "rejected"; name: string; atMs: number }
  | { kind: "call"; name: string; failed: boolean; latencyMs: number; atMs: number };

/** A breaker shared across isolates. */
export interface SharedBreaker {
  /** The breaker's name (the dependency). */
  readonly name: string;
  /**
   * Runs `fn` unless the circuit is open; rejects with cockatiel's BrokenCircuitError when it is (test with
   * isBrokenCircuit()). `signal` aborts when the caller's does.
   */
  execute<T>(fn: (signal: AbortSignal) => Promise<T> | T, signal?: AbortSignal): Promise<T>;
  /** The circuit's state as this isolate last knew it. */
  state(): BreakerStateName;
}

/** Whether `error` is a call the breaker rejected without calling the dependency. */
export function isBrokenCircuit(error: unknown): boolean {
  return error instanceof BrokenCircuitError;
}

/** The part of cockatiel's toJSON() that is shared: the circuit's own state (not the failure counts). */
const OwnState = z.object({
  value: z.union([z.literal(CircuitState.Closed), z.literal(CircuitState.Open)]),
  openedAt: z.number().optional(),
  attemptNo: z.number().int().optional(),
});
const StoredPolicy = z.object({ ownState: OwnState });

const stateNames: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  // Isolation (holding a circuit open by hand) is not used here; it rejects as open does.
  [CircuitState.Isolated]: "open",
};

/** Builds a breaker as the file's header describes. Throws on options out of range, saying which. */
export function createSharedBreaker(options: SharedBreakerOptions): SharedBreaker {
  const o = validated(options);
  const isFailure = options.isFailure ?? (() => true);
  const failurePolicy = handleWhen(isFailure);
  const onStoreError = options.onStoreError ??
    ((error: unknown) =>
      console.warn(
        `breaker ${o.name}: store unavailable, going on alone: ${(error as Error)?.message ?? error}`,
      ));
  const emit = (event: BreakerEvent) => options.onEvent?.(event);

  let version = 0;
  let lastReadAt = -Infinity;
  /** The read under way, if any, and the isolate's first read, which calls wait for. */
  let reading: Promise<void> | null = null;
  let firstRead: Promise<void> | null = null;
  let policy = build(undefined);
  /** Transitions to open or closed made during the current calls, to write. */
  let unwritten: { from: BreakerStateName; to: BreakerStateName; atMs: number } | null = null;
  /** When this isolate's claimed probe was sent, until its outcome is written. */
  let probeSentAt: number | null = null;
  /** This isolate's claim of the probe while the store answers it. */
  let claiming: Promise<boolean> | null = null;

  function build(ownState: z.infer<typeof OwnState> | undefined): CircuitBreakerPolicy {
    const breaker: IBreaker = o.rule.kind === "consecutive"
      ? new ConsecutiveBreaker(o.rule.failures)
      : new SamplingBreaker({
        threshold: o.rule.threshold,
        duration: o.rule.durationMs,
        minimumRps: o.rule.minimumRps,
      });
    const next = circuitBreaker(failurePolicy, {
      halfOpenAfter: o.halfOpenAfterMs,
      breaker,
      // A fresh breaker's counts: each isolate counts its own failures.
      initialState: ownState ? { ownState, breakerState: breaker.state } : undefined,
    });
    let previous = next.state;
    next.onStateChange((state) => {
      const from = stateNames[previous];
      previous = state;
      if (state === CircuitState.HalfOpen) {
        emit({ kind: "transition", name: o.name, from, to: "half-open", atMs: Date.now() });
      } else unwritten = { from: unwritten?.from ?? from, to: stateNames[state], atMs: Date.now() };
    });
    return next;
  }

  function ownState() {
    return (policy.toJSON() as { ownState: { value: CircuitState; openedAt?: number } }).ownState;
  }

  /** Step 1: adopt a newer shared record, at most once per readIntervalMs, waiting only for the first. */
  async function read() {
    if (reading === null && Date.now() - lastReadAt >= o.readIntervalMs) {
      lastReadAt = Date.now();
      reading = adopt().finally(() => reading = null);
      firstRead ??= reading;
    }
    await firstRead;
  }

  /** Replaces this isolate's circuit with the stored one when that is newer; never rejects. */
  async function adopt() {
    try {
      const stored = await o.store.read(o.name);
      if (!stored || stored.version <= version) return;
      const parsed = StoredPolicy.safeParse(stored.state);
      if (!parsed.success) throw new Error(`the stored state of ${o.name} is not a circuit's state`);
      version = stored.version;
      policy = build(parsed.data.ownState);
    } catch (error) {
      onStoreError(error);
    }
  }

  /** Step 2: whether this isolate may send the half-open probe that is due, or no probe is due. */
  function mayProbe(): Promise<boolean> | boolean {
    const now = Date.now();
    // Half-open: this isolate's own probe is out, and cockatiel holds the call for its outcome. Read from the
    // live state: the serialized one says open since 0 then, and would have the call claim a probe of its own.
    if (policy.state !== CircuitState.Open || now - (ownState().openedAt ?? 0) < o.halfOpenAfterMs) {
      return true;
    }
    // A call that comes while this isolate's claim is out shares it: if won, the call that claimed probes
    // (it resumes first) and cockatiel holds this one for the outcome; a claim of its own would be refused.
    claiming ??= claim(now).finally(() => claiming = null);
    return claiming;
  }

  /**
   * Claims the probe in the store; true when won, when the store cannot be reached, or when refused but the
   * circuit is no longer open here (an isolate's probe closed it, read while the claim was out): cockatiel
   * then lets the call through, with no probe to send.
   */
  async function claim(now: number): Promise<boolean> {
    let claimed = true;
    try {
      // Held for as long as the circuit stays open after a failure: if this isolate dies probing, another may.
      claimed = await o.store.claimProbe(o.name, now, o.halfOpenAfterMs);
    } catch (error) {
      onStoreError(error);
    }
    if (claimed) probeSentAt = now;
    return claimed || policy.state !== CircuitState.Open;
  }

  /** Step 3: write a transition to open or closed; a stale copy loses and is read again on the next call. */
  async function write() {
    const transition = unwritten;
    if (!transition) return;
    unwritten = null;
    const sentAt = probeSentAt;
    probeSentAt = null;
    // A failed probe: the circuit reopens as of the probe's sending (header, step 2).
    if (sentAt !== null && policy.state === CircuitState.Open) {
      policy = build({ ...ownState(), value: CircuitState.Open, openedAt: sentAt });
    }
    try {
      const own = ownState();
      const nextProbeAt = own.value === CircuitState.Open ? (own.openedAt ?? 0) + o.halfOpenAfterMs : null;
      const written = await o.store.write(o.name, policy.toJSON(), version, nextProbeAt);
      if (written === null) {
        lastReadAt = -Infinity;
        return;
      }
      version = written;
    } catch (error) {
      onStoreError(error);
    }
    if (transition.from !== transition.to) emit({ kind: "transition", name: o.name, ...transition });
  }

  return {
    name: o.name,
    async execute(fn, signal) {
      await read();
      if (!await mayProbe()) {
        emit({ kind: "rejected", name: o.name, atMs: Date.now() });
        throw new BrokenCircuitError();
      }
      try {
        return await policy.execute(async ({ signal: inner }) => {
          const started = performance.now();
          const called = (failed: boolean) =>
            emit({
              kind: "call",
              name: o.name,
              failed,
              latencyMs: performance.now() - started,
              atMs: Date.now(),
            });
          try {
            const value = await fn(inner);
            called(false);
            return value;
          } catch (error) {
            called(isFailure(error));
            throw error;
          }
        }, signal);
      } catch (error) {
        if (isBrokenCircuit(error)) emit({ kind: "rejected", name: o.name, atMs: Date.now() });
        throw error;
      } finally {
        await write();
      }
    },
    state: () => stateNames[policy.state],
  };
}

function validated(options: SharedBreakerOptions) {
  const o = {
    name: options.name,
    store: options.store,
    rule: options.rule ?? sharedBreakerDefaults.rule,
    halfOpenAfterMs: options.halfOpenAfterMs ?? sharedBreakerDefaults.halfOpenAfterMs,
    readIntervalMs: options.readIntervalMs ?? sharedBreakerDefaults.readIntervalMs,
  };
  if (!o.name || o.name.length > 200) throw new Error(`name must be 1 to 200 characters: got '${o.name}'`);
  if (!(o.halfOpenAfterMs >= 1)) throw new Error(`halfOpenAfterMs must be >= 1: got ${o.halfOpenAfterMs}`);
  if (!(o.readIntervalMs >= 0)) throw new Error(`readIntervalMs must be >= 0: got ${o.readIntervalMs}`);
  const rule = o.rule;
  if (rule.kind === "consecutive" && !(Number.isInteger(rule.failures) && rule.failures >= 1)) {
    throw new Error(`rule.failures must be an integer >= 1: got ${rule.failures}`);
  }
  if (rule.kind === "sampling") {
    if (!(rule.threshold > 0 && rule.threshold < 1)) {
      throw new Error(`rule.threshold must be between 0 and 1, both excluded: got ${rule.threshold}`);
    }
    // cockatiel samples over at least five windows of whole milliseconds
    if (!(rule.durationMs >= 5)) throw new Error(`rule.durationMs must be >= 5: got ${rule.durationMs}`);
    // cockatiel reads 0 as "guess one" (five failures a second), which a quiet dependency never reaches
    if (!(rule.minimumRps > 0)) throw new Error(`rule.minimumRps must be > 0: got ${rule.minimumRps}`);
  }
  return o;
}
