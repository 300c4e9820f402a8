import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { startGateway } from "../../scripts/stack/mod.ts";
import { freePorts } from "../../scripts/stack/ports.ts";
import { stackEnv } from "../support/env.ts";

/**
 * An app's function wrapped with instrument(), served by its own gateway: its requests reach the metric
 * store through the stack's `metrics` function, and its answers are untouched when that store is down.
 */

const env = stackEnv();
const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
const options = { sanitizeOps: false, sanitizeResources: false };

async function withInstrumentedFunction(
  metricsUrl: string,
  fn: (call: (path?: string) => Promise<Response>, target: string) => Promise<void>,
) {
  const target = `instrumented-${crypto.randomUUID()}`;
  const envFile = await Deno.makeTempFile({ suffix: ".env" });
  await Deno.writeTextFile(envFile, `INSTRUMENT_TARGET=${target}\nINSTRUMENT_METRICS_URL=${metricsUrl}\n`);
  const gateway = await startGateway({
    port: 0,
    configPath: `${fixtures}config.toml`,
    functionsEnvPath: envFile,
    dbUrl: env.dbUrl,
    log: () => {},
  });
  try {
    await fn((path = "") => fetch(`${gateway.url}/functions/v1/instrumented${path}`), target);
  } finally {
    await gateway.stop();
    await Deno.remove(envFile);
  }
}

Deno.test({
  ...options,
  name: "instrument() reports each request's latency, cold start and errors to the metric store",
  fn: async () => {
    await withInstrumentedFunction(`${env.url}/functions/v1/metrics`, async (call, target) => {
      for (const path of ["", "", "/fail"]) await (await call(path)).body?.cancel();
      const sql = postgres(env.dbUrl, { prepare: false, max: 1 });
      try {
        let rows: postgres.Row[] = [];
        // The reporter sends in the background, a batch at most every second.
        for (let attempt = 0; attempt < 50 && rows.length < 3; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          rows = await sql`
            select kind, latency_ms, error, cold_start, attrs from optimizer.metric_events
            where target = ${target} order by occurred_at`;
        }
        assert.equal(rows.length, 3);
        assert.deepEqual(rows.map((row) => row.cold_start), [true, false, false]);
        assert.deepEqual(rows.map((row) => row.error), [false, false, true]);
        assert.ok(rows.every((row) => row.kind === "request" && row.latency_ms >= 0));
      } finally {
        await sql.end();
      }
    });
  },
});

Deno.test({
  ...options,
  name: "instrument() answers as the app does while the metric store is unreachable",
  fn: async () => {
    const [closed] = freePorts(1, 56_600);
    await withInstrumentedFunction(`http://127.0.0.1:${closed}/functions/v1/metrics`, async (call) => {
      for (let i = 0; i < 5; i++) {
        const response = await call();
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { ok: true });
      }
      const failing = await call("/fail");
      assert.equal(failing.status, 500, "the app's own error still reaches the caller");
      await failing.body?.cancel();
    });
  },
});
