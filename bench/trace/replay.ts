/**
 * Open-loop replay of a trace in real time, compressed: with compression 60 one trace hour takes one real
 * minute. Every request is sent at its own scheduled time whether or not earlier ones have finished, and its
 * latency is measured from that scheduled time, not from when it was actually sent: a slow system then shows
 * up as latency instead of silently slowing the arrivals (coordinated omission). The send lag (sent minus
 * scheduled) is recorded too, so a replayer that cannot keep up is visible.
 *
 * In-flight requests are capped. A request due while the cap is reached is either dropped or queued until a
 * slot frees (whenFull); both are counted and reported, and a queued request's latency still runs from its
 * scheduled time. The clock and sleep are injectable so tests run on virtual time.
 */
import type { Outage, Trace, TraceRequest } from "./trace.ts";

export interface ReplayOptions<R> {
  /** Trace milliseconds per real millisecond (60: one trace hour in one real minute). */
  compression: number;
  /** Sends one request; its settled promise ends the request (a rejection counts as failed). */
  send: (request: TraceRequest, index: number) => Promise<R>;
  maxInFlight: number;
  /** At the cap: "drop" the due request, or "queue" it until a slot frees. */
  whenFull: "drop" | "queue";
  /** A request sent more than this after its scheduled time counts as late. */
  lateThresholdMs: number;
  onProgress: ((progress: ReplayProgress) => void) | null;
  progressIntervalMs: number;
  /** Real clock in ms (monotonic). */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  signal: AbortSignal | null;
}

export interface ReplayProgress {
  elapsedMs: number;
  /** Trace time reached. */
  traceMs: number;
  /** Real time left until the last request is due. */
  remainingMs: number;
  dispatched: number;
  total: number;
  inFlight: number;
  completed: number;
  failed: number;
  dropped: number;
  late: number;
}

export type ReplayOutcome = "resolved" | "rejected" | "dropped";

export interface ReplayRecord<R> {
  index: number;
  request: TraceRequest;
  /** Real ms since the replay started, at which the request was due. */
  scheduledMs: number;
  /** null when dropped. */
  sentMs: number | null;
  doneMs: number | null;
  /** doneMs - scheduledMs: what the user waited, including any wait for a slot or a late send. */
  latencyMs: number | null;
  /** doneMs - sentMs: the system's own time. */
  serviceMs: number | null;
  sendLagMs: number | null;
  /** Sent more than lateThresholdMs after it was due. */
  late: boolean;
  /** Waited for a free slot (whenFull "queue"). */
  queued: boolean;
  outcome: ReplayOutcome;
  result?: R;
  error?: string;
}

export interface ReplayReport<R> {
  records: ReplayRecord<R>[];
  compression: number;
  elapsedMs: number;
  dispatched: number;
  completed: number;
  failed: number;
  dropped: number;
  queued: number;
  late: number;
  maxSendLagMs: number;
  maxInFlightSeen: number;
  aborted: boolean;
}

export const replayDefaults: Omit<ReplayOptions<unknown>, "send"> = {
  compression: 60,
  maxInFlight: 256,
  whenFull: "drop",
  lateThresholdMs: 20,
  onProgress: null,
  progressIntervalMs: 1000,
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  signal: null,
};

export function resolveReplayOptions<R>(
  options: Partial<ReplayOptions<R>> & Pick<ReplayOptions<R>, "send">,
): ReplayOptions<R> {
  const o = { ...replayDefaults, ...options } as ReplayOptions<R>;
  if (!(o.compression > 0) || !Number.isFinite(o.compression)) {
    throw new Error(
      `compression must be a number > 0 (60 = one trace hour per real minute): got ${o.compression}`,
    );
  }
  if (!Number.isInteger(o.maxInFlight) || o.maxInFlight < 1) {
    throw new Error(`maxInFlight must be an integer >= 1: got ${o.maxInFlight}`);
  }
  if (o.whenFull !== "drop" && o.whenFull !== "queue") {
    throw new Error(`whenFull must be "drop" or "queue": got ${JSON.stringify(o.whenFull)}`);
  }
  if (!(o.lateThresholdMs >= 0)) throw new Error(`lateThresholdMs must be >= 0: got ${o.lateThresholdMs}`);
  if (!(o.progressIntervalMs > 0)) {
    throw new Error(`progressIntervalMs must be > 0: got ${o.progressIntervalMs}`);
  }
  if (typeof o.send !== "function") throw new Error("send must be a function (request, index) => Promise");
  return o;
}

/** Real milliseconds a trace (or a trace duration) takes to replay at this compression. */
export function compressedDuration(trace: Pick<Trace, "durationMs"> | number, compression: number): number {
  if (!(compression > 0)) throw new Error(`compression must be > 0: got ${compression}`);
  return (typeof trace === "number" ? trace : trace.durationMs) / compression;
}

/** The part of a trace in [fromMs, toMs), re-based so that fromMs becomes 0 (outages clipped to the window). */
export function sliceTrace(trace: Trace, fromMs: number, toMs: number): Trace {
  if (!(fromMs >= 0 && fromMs < toMs && toMs <= trace.durationMs)) {
    throw new Error(
      `slice must satisfy 0 <= fromMs < toMs <= durationMs (${trace.durationMs}): got ${fromMs}..${toMs}`,
    );
  }
  const requests = trace.requests
    .filter((r) => r.atMs >= fromMs && r.atMs < toMs)
    .map((r) => ({ ...r, atMs: r.atMs - fromMs }));
  const outages: Outage[] = trace.outages
    .filter((o) => o.endMs > fromMs && o.startMs < toMs)
    .map((o) => ({ startMs: Math.max(o.startMs, fromMs) - fromMs, endMs: Math.min(o.endMs, toMs) - fromMs }));
  return {
    seed: trace.seed,
    startIso: new Date(Date.parse(trace.startIso) + fromMs).toISOString(),
    durationMs: toMs - fromMs,
    requests,
    outages,
  };
}

export async function replayTrace<R>(
  trace: Pick<Trace, "requests" | "durationMs">,
  options: Partial<ReplayOptions<R>> & Pick<ReplayOptions<R>, "send">,
): Promise<ReplayReport<R>> {
  const o = resolveReplayOptions(options);
  const requests = trace.requests;
  const lastDueMs = requests.length > 0 ? requests[requests.length - 1].atMs / o.compression : 0;
  const start = o.now();
  const elapsed = () => o.now() - start;
  const records: ReplayRecord<R>[] = [];
  const waiting: ReplayRecord<R>[] = [];
  let inFlight = 0, completed = 0, failed = 0, dropped = 0, queued = 0, late = 0;
  let maxSendLagMs = 0, maxInFlightSeen = 0;
  let drained: (() => void) | null = null;
  let lastProgress = -Infinity;

  const progress = (force = false) => {
    const now = elapsed();
    if (!o.onProgress || (!force && now - lastProgress < o.progressIntervalMs)) return;
    lastProgress = now;
    o.onProgress({
      elapsedMs: now,
      traceMs: now * o.compression,
      remainingMs: Math.max(0, lastDueMs - now),
      dispatched: records.length,
      total: requests.length,
      inFlight,
      completed,
      failed,
      dropped,
      late,
    });
  };

  const finish = (record: ReplayRecord<R>) => {
    record.doneMs = elapsed();
    record.latencyMs = record.doneMs - record.scheduledMs;
    record.serviceMs = record.doneMs - record.sentMs!;
    inFlight--;
    const next = waiting.shift();
    if (next) launch(next);
    else if (inFlight === 0 && drained) drained();
  };

  function launch(record: ReplayRecord<R>): void {
    record.sentMs = elapsed();
    record.sendLagMs = record.sentMs - record.scheduledMs;
    maxSendLagMs = Math.max(maxSendLagMs, record.sendLagMs);
    record.late = record.sendLagMs > o.lateThresholdMs;
    if (record.late) late++;
    inFlight++;
    maxInFlightSeen = Math.max(maxInFlightSeen, inFlight);
    let sent: Promise<R>;
    try {
      sent = o.send(record.request, record.index);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (result) => {
        record.outcome = "resolved";
        record.result = result;
        completed++;
        finish(record);
      },
      (error) => {
        record.outcome = "rejected";
        record.error = error instanceof Error ? error.message : String(error);
        failed++;
        finish(record);
      },
    );
  }

  let aborted = false;
  for (let index = 0; index < requests.length; index++) {
    const request = requests[index];
    const scheduledMs = request.atMs / o.compression;
    for (let wait = scheduledMs - elapsed(); wait > 0 && !o.signal?.aborted; wait = scheduledMs - elapsed()) {
      await o.sleep(Math.min(wait, o.progressIntervalMs));
      progress();
    }
    if (o.signal?.aborted) {
      aborted = true;
      break;
    }
    const record: ReplayRecord<R> = {
      index,
      request,
      scheduledMs,
      sentMs: null,
      doneMs: null,
      latencyMs: null,
      serviceMs: null,
      sendLagMs: null,
      late: false,
      queued: false,
      outcome: "dropped",
    };
    records.push(record);
    if (inFlight < o.maxInFlight) launch(record);
    else if (o.whenFull === "queue") {
      record.queued = true;
      queued++;
      waiting.push(record);
    } else dropped++;
    progress();
  }
  if (inFlight > 0) await new Promise<void>((resolve) => drained = resolve);
  progress(true);
  return {
    records,
    compression: o.compression,
    elapsedMs: elapsed(),
    dispatched: records.length,
    completed,
    failed,
    dropped,
    queued,
    late,
    maxSendLagMs,
    maxInFlightSeen,
    aborted,
  };
}
