import assert from "node:assert/strict";
import {
  createAuthenticator,
  defaultConfig,
  type OptimizationConfig,
  parseConfig,
  type StatusStore,
} from "../../shared/mod.ts";
import { createStatusApp } from "../../supabase/functions/status/index.ts";

/** The status function run in process over a fake store: its handlers, not the database. */

const secretKey = "sb_secret_in_process_test";
const now = new Date("2026-11-28T10:00:00Z");

function fakeStore() {
  const writes: Array<{ config: OptimizationConfig; by: string }> = [];
  const store: StatusStore = {
    overview: () => Promise.resolve({ generated_at: now.toISOString(), cron_jobs: [] }),
    readConfig: () => Promise.resolve({ config: defaultConfig, updatedAt: null, updatedBy: null }),
    writeConfig: (config, by) => {
      writes.push({ config, by });
      return Promise.resolve({ config, updatedAt: now.toISOString(), updatedBy: by });
    },
  };
  return { store, writes };
}

function app(store: StatusStore) {
  return createStatusApp({
    store,
    authenticator: createAuthenticator({ env: { secretKeys: { default: secretKey }, publishableKeys: {} } }),
    now: () => now,
  });
}

Deno.test("the status app reports a pipeline without its cron jobs as Findings", async () => {
  const response = await app(fakeStore().store).fetch(
    new Request("http://local/status", { headers: { apikey: secretKey } }),
  );
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.ok(body.findings.length > 0);
  assert.ok(body.findings.every((finding: { rule: string }) => finding.rule === "pipeline.job-missing"));
});

Deno.test("the status app writes a config with every omitted setting at its default, and who wrote it", async () => {
  const { store, writes } = fakeStore();
  const response = await app(store).fetch(
    new Request("http://local/status/config", {
      method: "PUT",
      headers: { apikey: secretKey, "content-type": "application/json" },
      body: JSON.stringify({ modules: { warmer: true } }),
    }),
  );
  assert.equal(response.status, 200);
  assert.deepEqual(writes, [{ config: parseConfig({ modules: { warmer: true } }), by: "secret:default" }]);
});

Deno.test("the status app refuses a config with an unknown key with 400 and writes nothing", async () => {
  const { store, writes } = fakeStore();
  const response = await app(store).fetch(
    new Request("http://local/status/config", {
      method: "PUT",
      headers: { apikey: secretKey, "content-type": "application/json" },
      body: JSON.stringify({ modules: { teleport: true } }),
    }),
  );
  assert.equal(response.status, 400);
  assert.deepEqual(writes, []);
});
