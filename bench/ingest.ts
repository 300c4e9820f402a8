/**
 * `npm run bench:ingest`: metric events through the gateway and the `metrics` function into Postgres,
 * in batches from concurrent clients. Prints events/s, request latency and events stored against
 * events accepted (they must be equal).
 *
 * Options: --clients N (default 8), --batch N (500), --seconds N (20), --warmup-seconds N (3).
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { leaseStack } from "../scripts/with_stack.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "8" },
    batch: { type: "string", default: "500" },
    seconds: { type: "string", default: "20" },
    "warmup-seconds": { type: "string", default: "3" },
  },
});

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a whole number >= 1: got ${raw}`);
  }
  return value;
}

const options = {
  clients: positiveInteger("clients", values.clients),
  batch: positiveInteger("batch", values.batch),
  seconds: positiveInteger("seconds", values.seconds),
  warmupSeconds: positiveInteger("warmup-seconds", values["warmup-seconds"]),
};

/** A few distinct bodies, built before the clock starts so the clients measure the server, not JSON.stringify. */
function buildBodies(runId: string, count: number, batch: number): string[] {
  const kinds = ["request", "query", "lookup"];
  return Array.from({ length: count }, (_, b) => {
    const now = Date.now();
    const events = Array.from({ length: batch }, (_, i) => ({
      occurredAt: new Date(now - i * 7).toISOString(),
      system: i % 3 === 0 ? "db" : "edge",
      target: `${runId}-${(b * batch + i) % 20}`,
      kind: kinds[i % kinds.length],
      latencyMs: 1 + ((i * 7919) % 400) / 3,
      error: i % 97 === 0,
      coldStart: i % 211 === 0,
    }));
    return JSON.stringify({ events });
  });
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

interface ClientResult {
  accepted: number;
  latencies: number[];
  failures: number;
}

async function client(url: string, apiKey: string, bodies: string[], until: number, measure: boolean) {
  const result: ClientResult = { accepted: 0, latencies: [], failures: 0 };
  let i = Math.floor(Math.random() * bodies.length);
  while (performance.now() < until) {
    const body = bodies[i++ % bodies.length];
    const started = performance.now();
    const response = await fetch(url, {
      method: "POST",
      headers: { apikey: apiKey, "content-type": "application/json" },
      body,
    });
    const answer = await response.json();
    if (response.status === 202) result.accepted += answer.accepted;
    else result.failures++;
    if (measure) result.latencies.push(performance.now() - started);
  }
  return result;
}

const lease = await leaseStack();
const sql = postgres(lease.env.SUPABASE_DB_URL, { prepare: false, max: 1 });
try {
  const url = `${lease.env.SUPABASE_URL}/functions/v1/metrics`;
  const runId = `bench-ingest-${Date.now().toString(36)}`;
  const bodies = buildBodies(runId, 16, options.batch);
  console.log(
    `Ingest benchmark: ${options.clients} clients, batches of ${options.batch}, ${options.seconds} s ` +
      `(after ${options.warmupSeconds} s warm-up) against ${lease.source}`,
  );

  const warmup = await Promise.all(
    Array.from(
      { length: options.clients },
      () =>
        client(
          url,
          lease.env.SUPABASE_SECRET_KEY,
          bodies,
          performance.now() + options.warmupSeconds * 1000,
          false,
        ),
    ),
  );
  const started = performance.now();
  const measured = await Promise.all(
    Array.from(
      { length: options.clients },
      () => client(url, lease.env.SUPABASE_SECRET_KEY, bodies, started + options.seconds * 1000, true),
    ),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;

  const accepted = measured.reduce((sum, r) => sum + r.accepted, 0);
  const acceptedTotal = accepted + warmup.reduce((sum, r) => sum + r.accepted, 0);
  const failures = [...warmup, ...measured].reduce((sum, r) => sum + r.failures, 0);
  const latencies = measured.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const [{ stored }] = await sql<{ stored: string }[]>`
    select count(*) as stored from optimizer.metric_events where target like ${runId + "-%"}`;

  const figures = {
    eventsPerSecond: Math.round(accepted / elapsedSeconds),
    requests: latencies.length,
    p50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
    p99Ms: Number(percentile(latencies, 0.99).toFixed(1)),
    failedRequests: failures,
    eventsAccepted: acceptedTotal,
    eventsStored: Number(stored),
  };
  console.table(figures);
  console.log(JSON.stringify(figures));
  if (figures.eventsStored !== figures.eventsAccepted) {
    console.error(`LOST EVENTS: ${figures.eventsAccepted} accepted but ${figures.eventsStored} stored`);
    Deno.exitCode = 1;
  }
  // Leave the store as it was: the benchmark's events and any rollups the cron job made of them.
  await sql`delete from optimizer.metric_events where target like ${runId + "-%"}`;
  await sql`delete from optimizer.metric_rollups where target like ${runId + "-%"}`;
} finally {
  await sql.end();
  await lease.release();
}
