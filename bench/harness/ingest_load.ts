/**
 * Metric events through a gateway and the `metrics` function, in batches from concurrent clients (closed
 * loop: each client sends its next batch when the last one was answered). Used by `npm run bench:ingest`
 * and by the suite's own costs in `npm run bench`.
 */
import { percentile } from "../stats/percentile.ts";

export interface IngestLoadOptions {
  /** The `metrics` function, e.g. http://127.0.0.1:54321/functions/v1/metrics. */
  url: string;
  apiKey: string;
  clients: number;
  batch: number;
  seconds: number;
  warmupSeconds: number;
  /** Targets of the events start with this, so the caller can count and remove them. */
  targetPrefix: string;
}

export const ingestLoadDefaults = { clients: 8, batch: 500, seconds: 20, warmupSeconds: 3 };

export interface IngestLoadFigures {
  eventsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  failedRequests: number;
  /** Events the function answered 202 for, warm-up included. */
  eventsAccepted: number;
}

/** A few distinct bodies, built before the clock starts so the clients measure the server, not JSON.stringify. */
function buildBodies(targetPrefix: string, count: number, batch: number): string[] {
  const kinds = ["request", "query", "lookup"];
  return Array.from({ length: count }, (_, b) => {
    const now = Date.now();
    const events = Array.from({ length: batch }, (_, i) => ({
      occurredAt: new Date(now - i * 7).toISOString(),
      system: i % 3 === 0 ? "db" : "edge",
      target: `${targetPrefix}${(b * batch + i) % 20}`,
      kind: kinds[i % kinds.length],
      latencyMs: 1 + ((i * 7919) % 400) / 3,
      error: i % 97 === 0,
      coldStart: i % 211 === 0,
    }));
    return JSON.stringify({ events });
  });
}

interface ClientResult {
  accepted: number;
  latencies: number[];
  failures: number;
}

async function client(options: IngestLoadOptions, bodies: string[], until: number): Promise<ClientResult> {
  const result: ClientResult = { accepted: 0, latencies: [], failures: 0 };
  let i = Math.floor(Math.random() * bodies.length);
  while (performance.now() < until) {
    const started = performance.now();
    const response = await fetch(options.url, {
      method: "POST",
      headers: { apikey: options.apiKey, "content-type": "application/json" },
      body: bodies[i++ % bodies.length],
    });
    const answer = await response.json();
    if (response.status === 202) result.accepted += answer.accepted;
    else result.failures++;
    result.latencies.push(performance.now() - started);
  }
  return result;
}

function checkOptions(options: IngestLoadOptions): void {
  for (const name of ["clients", "batch", "seconds"] as const) {
    if (!Number.isInteger(options[name]) || options[name] < 1) {
      throw new Error(`${name} must be a whole number >= 1: got ${options[name]}`);
    }
  }
  if (!(options.warmupSeconds >= 0)) {
    throw new Error(`warmupSeconds must be >= 0: got ${options.warmupSeconds}`);
  }
}

export async function runIngestLoad(options: IngestLoadOptions): Promise<IngestLoadFigures> {
  checkOptions(options);
  const bodies = buildBodies(options.targetPrefix, 16, options.batch);
  const clients = (seconds: number) => {
    const until = performance.now() + seconds * 1000;
    return Promise.all(Array.from({ length: options.clients }, () => client(options, bodies, until)));
  };
  const warmup = await clients(options.warmupSeconds);
  const started = performance.now();
  const measured = await clients(options.seconds);
  const elapsedSeconds = (performance.now() - started) / 1000;

  const sum = (results: ClientResult[], pick: (r: ClientResult) => number) =>
    results.reduce((total, r) => total + pick(r), 0);
  const latencies = measured.flatMap((r) => r.latencies);
  return {
    eventsPerSecond: Math.round(sum(measured, (r) => r.accepted) / elapsedSeconds),
    requests: latencies.length,
    p50Ms: Number((percentile(latencies, 50) ?? 0).toFixed(1)),
    p99Ms: Number((percentile(latencies, 99) ?? 0).toFixed(1)),
    failedRequests: sum([...warmup, ...measured], (r) => r.failures),
    eventsAccepted: sum([...warmup, ...measured], (r) => r.accepted),
  };
}
