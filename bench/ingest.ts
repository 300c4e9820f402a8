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
import { ingestLoadDefaults, runIngestLoad } from "./harness/ingest_load.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: String(ingestLoadDefaults.clients) },
    batch: { type: "string", default: String(ingestLoadDefaults.batch) },
    seconds: { type: "string", default: String(ingestLoadDefaults.seconds) },
    "warmup-seconds": { type: "string", default: String(ingestLoadDefaults.warmupSeconds) },
  },
});

const lease = await leaseStack();
const sql = postgres(lease.env.SUPABASE_DB_URL, { prepare: false, max: 1, onnotice: () => {} });
const targetPrefix = `bench-ingest-${Date.now().toString(36)}-`;
try {
  const options = {
    url: `${lease.env.SUPABASE_URL}/functions/v1/metrics`,
    apiKey: lease.env.SUPABASE_SECRET_KEY,
    clients: Number(values.clients),
    batch: Number(values.batch),
    seconds: Number(values.seconds),
    warmupSeconds: Number(values["warmup-seconds"]),
    targetPrefix,
  };
  console.log(
    `Ingest benchmark: ${options.clients} clients, batches of ${options.batch}, ${options.seconds} s ` +
      `(after ${options.warmupSeconds} s warm-up) against the ${lease.source}`,
  );
  const figures = await runIngestLoad(options);
  const [{ stored }] = await sql<{ stored: string }[]>`
    select count(*) as stored from optimizer.metric_events where target like ${targetPrefix + "%"}`;
  const result = { ...figures, eventsStored: Number(stored) };
  console.table(result);
  console.log(JSON.stringify(result));
  if (result.eventsStored !== result.eventsAccepted) {
    console.error(`LOST EVENTS: ${result.eventsAccepted} accepted but ${result.eventsStored} stored`);
    Deno.exitCode = 1;
  }
  // Leave the store as it was: the benchmark's events and any rollups the cron job made of them.
  await sql`delete from optimizer.metric_events where target like ${targetPrefix + "%"}`;
  await sql`delete from optimizer.metric_rollups where target like ${targetPrefix + "%"}`;
} finally {
  await sql.end();
  await lease.release();
}
