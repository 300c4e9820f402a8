import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { startGateway } from "../../scripts/stack/mod.ts";
import { stackEnv } from "../support/env.ts";

/**
 * Counts reconcile while workers retire under CPU load: an instrumented function behind a gateway whose
 * workers live a second at most, two busy processes competing for the machine's cores, a metric store that
 * is slow to write to (its table locked 2 s out of every 2.2 s), and steady traffic, so workers retire
 * while batches wait and more events queue behind them. Every request the client sent is either an event the handler
 * recorded (stored through the stack's metrics function) or one the gateway says it answered without a
 * handler: exactly, not approximately.
 */

const env = stackEnv();
const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
const requests = 600;
const lanes = 4;
/** Each lane's pause between requests: about 80 requests a second, so workers retire amid traffic. */
const pauseMs = 40;

/** Holds a lock that makes inserts into the metric store wait, 2 s at a time, until `stop` aborts. */
async function slowMetricStore(stop: AbortSignal): Promise<void> {
  const sql = postgres(env.dbUrl, { prepare: false, max: 1, onnotice: () => {} });
  try {
    while (!stop.aborted) {
      await sql.begin(async (tx) => {
        await tx`lock table optimizer.metric_events in share mode`;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await sql.end();
  }
}

/** A process spinning one core until killed: CPU load without any package. */
function busyLoop(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "while (true) {}"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test({
  name: "under CPU load, requests sent = handler events stored + gateway answers without a handler",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const target = `retiring-${crypto.randomUUID()}`;
    const envFile = await Deno.makeTempFile({ suffix: ".env" });
    await Deno.writeTextFile(
      envFile,
      `INSTRUMENT_TARGET=${target}\nINSTRUMENT_METRICS_URL=${env.url}/functions/v1/metrics\n`,
    );
    const gateway = await startGateway({
      port: 0,
      configPath: `${fixtures}config.toml`,
      functionsEnvPath: envFile,
      dbUrl: env.dbUrl,
      workerIdleTimeoutS: 0.5,
      workerMaxLifetimeS: 2,
      log: () => {},
    });
    const load = [busyLoop(), busyLoop()];
    const stopSlowStore = new AbortController();
    const slowStore = slowMetricStore(stopSlowStore.signal);
    const sql = postgres(env.dbUrl, { prepare: false, max: 1, onnotice: () => {} });
    try {
      let sent = 0;
      const statuses = new Map<number | "no answer", number>();
      await Promise.all(Array.from({ length: lanes }, async () => {
        while (sent < requests) {
          sent++;
          const outcome = await fetch(`${gateway.url}/functions/v1/instrumented`)
            .then(async (response) => (await response.body?.cancel(), response.status))
            .catch(() => "no answer" as const);
          statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      }));
      await gateway.stop();
      stopSlowStore.abort();
      await slowStore;
      const stats = gateway.stats();
      const retired = stats.retirementsByReason.max_lifetime ?? 0;
      assert.ok(retired >= 3, `workers retired ${retired} times while serving`);
      assert.equal(statuses.get("no answer") ?? 0, 0, JSON.stringify([...statuses]));
      const answeredWithoutHandler = Object.values(stats.requests.instrumented?.withoutHandler ?? {})
        .reduce((sum, n) => sum + n, 0);

      const storedEvents = async () => {
        const [{ n }] = await sql<{ n: number }[]>`
          select count(*)::int as n from optimizer.metric_events where target = ${target} and kind = 'request'`;
        return n;
      };
      // The workers have exited, so everything they sent has been answered; the store is read until stable.
      let stored = await storedEvents();
      for (let i = 0; i < 20 && stored + answeredWithoutHandler < sent; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        stored = await storedEvents();
      }
      assert.equal(sent, requests);
      assert.deepEqual(
        { sent, stored, answeredWithoutHandler, difference: sent - stored - answeredWithoutHandler },
        { sent, stored: sent - answeredWithoutHandler, answeredWithoutHandler, difference: 0 },
      );
    } finally {
      stopSlowStore.abort();
      await slowStore;
      for (const child of load) {
        child.kill("SIGKILL");
        await child.status;
      }
      await sql.end();
      await gateway.stop();
      await Deno.remove(envFile);
    }
  },
});
