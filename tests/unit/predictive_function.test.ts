import assert from "node:assert/strict";
import { type ConfigAccess, createAuthenticator, type ForecastStore, parseConfig } from "../../shared/mod.ts";
import { createPredictiveApp } from "../../supabase/functions/predictive/index.ts";
import { memoryForecastStore as memoryStore } from "../support/memory_forecast_store.ts";

/** The predictive function run in process over an in-memory store of per-minute counts. */

const secretKey = "sb_secret_in_process_test";
const publishableKey = "sb_publishable_in_process_test";
const now = new Date("2026-11-28T12:00:30Z");

const configWith = (input: Record<string, unknown>): Pick<ConfigAccess, "readConfig"> => ({
  readConfig: () => Promise.resolve({ config: parseConfig(input), updatedAt: null, updatedBy: null }),
});

function app(store: ForecastStore, config = configWith({})) {
  return createPredictiveApp({
    store,
    config,
    now: () => now,
    authenticator: createAuthenticator({
      env: { secretKeys: { default: secretKey }, publishableKeys: { default: publishableKey } },
    }),
  });
}

const forecastUrl = "http://local/predictive/forecast?system=edge&target=robots&kind=request&historyDays=1";

Deno.test("GET /predictive/forecast forecasts the series from whole minutes ending 3 minutes before now", async () => {
  const { store, calls } = memoryStore();
  const response = await app(store).fetch(
    new Request(`${forecastUrl}&horizonMinutes=30`, { headers: { apikey: secretKey } }),
  );
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(calls, ["history edge/robots/request 2026-11-27T11:57:00.000Z–2026-11-28T11:57:00.000Z"]);
  assert.equal(body.history.minutes, 1440);
  assert.equal(body.history.events, 4 * 1440);
  assert.equal(body.forecast.points.length, 30);
  assert.equal(body.forecast.points[0].atMs, Date.parse("2026-11-28T11:57:00Z"));
  assert.ok(
    body.forecast.points.every((p: { value: number }) => Math.abs(p.value - 4) < 1e-9),
    "a flat series stays flat",
  );
  assert.equal(body.reference.model, "seasonal-naive-daily");
});

Deno.test("GET /predictive/forecast needs the secret key", async () => {
  const { store, calls } = memoryStore();
  const statuses = [];
  for (const headers of [{}, { apikey: publishableKey }] as Record<string, string>[]) {
    statuses.push((await app(store).fetch(new Request(forecastUrl, { headers }))).status);
  }
  assert.deepEqual(statuses, [401, 403]);
  assert.deepEqual(calls, []);
});

Deno.test("GET /predictive/forecast names each bad field and reads nothing", async () => {
  const { store, calls } = memoryStore();
  const bad = [
    ["system=disk&target=robots&kind=request", "system"],
    ["system=edge&target=&kind=request", "target"],
    ["system=edge&target=a%00b&kind=request", "target"],
    ["system=edge&target=robots&kind=Request", "kind"],
    ["system=edge&target=robots&kind=request&horizonMinutes=0", "horizonMinutes"],
    ["system=edge&target=robots&kind=request&historyDays=29", "historyDays"],
    ["system=edge&target=robots&kind=request&extra=1", "(root)"],
  ];
  for (const [search, field] of bad) {
    const response = await app(store).fetch(
      new Request(`http://local/predictive/forecast?${search}`, { headers: { apikey: secretKey } }),
    );
    assert.equal(response.status, 400, search);
    const { issues } = await response.json();
    assert.ok(
      issues.some((issue: { path: string }) => issue.path === field),
      `${search}: ${JSON.stringify(issues)}`,
    );
  }
  assert.deepEqual(calls, []);
});

Deno.test("POST /predictive/refresh is a 409 that says how to turn the module on when it is off", async () => {
  const { store, calls } = memoryStore();
  const response = await app(store, configWith({ modules: { predictive: false } })).fetch(
    new Request("http://local/predictive/refresh", { method: "POST", headers: { apikey: secretKey } }),
  );
  assert.equal(response.status, 409);
  assert.match(
    (await response.json()).error,
    /modules\.predictive is off: turn it on with PUT \/status\/config/,
  );
  assert.deepEqual(calls, []);
});

Deno.test("POST /predictive/refresh scores settled forecasts, then forecasts and stores the busiest series", async () => {
  const { store, calls } = memoryStore();
  const response = await app(store).fetch(
    new Request("http://local/predictive/refresh?trigger=cron", {
      method: "POST",
      headers: { apikey: secretKey },
    }),
  );
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(
    { runId: body.runId, scored: body.scored, historyTo: body.historyTo, forecasts: body.forecasts.length },
    { runId: "41", scored: 2, historyTo: "2026-11-28T11:57:00.000Z", forecasts: 1 },
  );
  assert.deepEqual(calls.filter((call) => !call.startsWith("history")), [
    "score 2026-11-28T11:57:00.000Z",
    "save robots",
    "finish 41 succeeded",
  ]);
});

Deno.test("POST /predictive/refresh needs the secret key", async () => {
  const { store, calls } = memoryStore();
  const response = await app(store).fetch(
    new Request("http://local/predictive/refresh", { method: "POST", headers: { apikey: publishableKey } }),
  );
  assert.equal(response.status, 403);
  assert.deepEqual(calls, []);
});
