import assert from "node:assert/strict";
import {
  type ConfigAccess,
  createAuthenticator,
  createCheckStore,
  createRecommendationStore,
  createSql,
  createSystemStore,
  parseConfig,
} from "../../shared/mod.ts";
import { createOptimizeSystemApp } from "../../supabase/functions/optimize-system/index.ts";

/**
 * The optimize-system function run in process. Its database client points at a port nothing listens on: a
 * handler that reached the database would answer 503, not what these tests expect.
 */

const secretKey = "sb_secret_in_process_test";
const publishableKey = "sb_publishable_in_process_test";
const sql = createSql({ functionName: "optimize-system-test", url: "postgres://nobody@127.0.0.1:1/none" });

function app(input: Record<string, unknown> = { modules: { systemWide: true } }) {
  const config: ConfigAccess = {
    readConfig: () => Promise.resolve({ config: parseConfig(input), updatedAt: null, updatedBy: null }),
    writeConfig: () => Promise.reject(new Error("the config is not written by these requests")),
  };
  const findings = createRecommendationStore(sql);
  return createOptimizeSystemApp({
    store: createSystemStore(sql, sql),
    findings,
    checks: createCheckStore(sql),
    config,
    boundedFindings: () => ({ store: findings, end: () => Promise.resolve() }),
    authenticator: createAuthenticator({
      env: { secretKeys: { default: secretKey }, publishableKeys: { default: publishableKey } },
    }),
  });
}

const post = (body: unknown, headers: Record<string, string> = { apikey: secretKey }, path = "") =>
  app().fetch(
    new Request(`http://local/optimize-system${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );

Deno.test("POST /optimize-system without a credential is a 401", async () => {
  assert.equal((await post({}, {})).status, 401);
});

Deno.test("POST /optimize-system with a publishable key is a 403: runs change the project", async () => {
  assert.equal((await post({}, { apikey: publishableKey })).status, 403);
});

Deno.test("POST /optimize-system names each bad field of the body", async () => {
  const response = await post({ priority: "speed", maxDurationMs: -1, targetGainPercent: 0, dryRun: "yes" });
  assert.equal(response.status, 400);
  const { issues } = await response.json();
  assert.deepEqual(issues.map((i: { path: string }) => i.path).sort(), [
    "dryRun",
    "maxDurationMs",
    "priority",
    "targetGainPercent",
  ]);
});

Deno.test("POST /optimize-system refuses a body that is not JSON", async () => {
  assert.equal((await post("{priority")).status, 400);
});

Deno.test("POST /optimize-system?trigger=cron is a 409 that says how to turn the schedule on when it is off", async () => {
  const response = await app({}).fetch(
    new Request("http://local/optimize-system?trigger=cron", {
      method: "POST",
      headers: { apikey: secretKey, "content-type": "application/json" },
      body: "{}",
    }),
  );
  assert.equal(response.status, 409);
  assert.match(
    (await response.json()).error,
    /modules\.systemWide is off: turn it on with PUT \/status\/config/,
  );
});

Deno.test("POST /optimize-system refuses a maxDurationMs above the config's limit before it touches anything", async () => {
  const response = await post({ maxDurationMs: 61_000 });
  assert.equal(response.status, 400);
  const { issues } = await response.json();
  assert.equal(issues[0].path, "maxDurationMs");
  assert.match(issues[0].message, /limits\.maxRunDurationSeconds/);
});

Deno.test("POST /optimize-system/:id/rollback refuses an id that is not a run id", async () => {
  const response = await post(undefined, { apikey: secretKey }, "/abc/rollback");
  assert.equal(response.status, 400);
  assert.match((await response.json()).issues[0].message, /must be a run id/);
});

Deno.test("GET /optimize-system refuses a limit out of range", async () => {
  const response = await app().fetch(
    new Request("http://local/optimize-system?limit=0", { headers: { apikey: secretKey } }),
  );
  assert.equal(response.status, 400);
});
