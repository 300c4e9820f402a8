import assert from "node:assert/strict";
import { type ConfigAccess, createAuthenticator, type ForecastStore, parseConfig } from "../../shared/mod.ts";
import { createPredictiveApp } from "../../supabase/functions/predictive/index.ts";
import { memoryForecastStore as memoryStore } from "../support/memory_forecast_store.ts";
import { dipAt1215, memoryPrewarmStore } from "../support/memory_prewarm_store.ts";

/** The predictive function run in process over an in-memory store of per-minute counts. */

const secretKey = "sb_secret_in_process_test";
const publishableKey = "sb_publishable_in_process_test";
const now = new Date("2026-11-28T12:00:30Z");

const configWith = (input: Record<string, unknown>): Pick<ConfigAccess, "readConfig"> => ({
  readConfig: () => Promise.resolve({ config: parseConfig(input), updatedAt: null, updatedBy: null }),
});

function app(store: ForecastStore, config = configWith({}), buffers = memoryPrewarmStore().store) {
  return createPredictiveApp({
    store,
    buffers,
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

const runRequest = () =>
  new Request("http://local/predictive/run?trigger=cron", { method: "POST", headers: { apikey: secretKey } });

Deno.test("POST /predictive/run loads a table ahead of a recurring dip and reports it as a Finding with its model", async () => {
  const { store, calls } = memoryStore();
  const buffers = memoryPrewarmStore(dipAt1215);
  const response = await app(store, configWith({}), buffers.store).fetch(runRequest());
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.success, true);
  assert.deepEqual(buffers.calls, ["settle", "load 41 public.robot_messages 2026-11-28T12:15:00.000Z"]);
  const [finding] = body.optimizationsApplied;
  assert.equal(finding.rule, "predictive.buffer-prewarm");
  assert.equal(finding.subject, "table:public.robot_messages@12:15");
  assert.deepEqual(
    [finding.gain.kind, finding.gain.value, finding.gain.unit],
    ["estimated", 300, "ms"],
    "1500 blocks a day at 0.2 ms",
  );
  assert.match(finding.gain.model, /averaged over their 2 day\(s\).*measured read time per block/);
  assert.deepEqual(
    body.estimatedPerformanceGain.map((g: { value: number; unit: string }) => [g.value, g.unit]),
    [[300, "ms"]],
  );
  assert.deepEqual(body.buffers.rejected.map((r: { relation: string }) => r.relation), ["public.robots"]);
  assert.deepEqual(body.history, { enough: true, reason: null });
  assert.ok(calls.includes("finish 41 succeeded"));
});

/** Calls a minute of a statement that runs `base` times a minute, and `peak` from 12:15 to 12:45 UTC. */
const dailyPeakAt1215 = (base: number, peak: number) => (atMs: number) => {
  const minuteOfDay = Math.floor(atMs / 60_000) % 1440;
  return minuteOfDay >= 735 && minuteOfDay < 765 ? peak : base;
};

Deno.test("POST /predictive/run loads ahead of a dip only the tables a statement forecast to spike reads", async () => {
  const { store } = memoryStore(() => 4, { statements: { "9": dailyPeakAt1215(2, 40) } });
  const buffers = memoryPrewarmStore(dipAt1215, { tables: { "9": ["public.robot_messages"] } });
  const body = await (await app(store, configWith({}), buffers.store).fetch(runRequest())).json();
  assert.deepEqual(buffers.calls, ["settle", "load 41 public.robot_messages 2026-11-28T12:15:00.000Z"]);
  assert.match(body.optimizationsApplied[0].detail, /statement 9 reads it and is forecast at/);
});

Deno.test("POST /predictive/run leaves a recurring dip alone when no statement is forecast to spike", async () => {
  const { store } = memoryStore(() => 4, { statements: { "9": () => 2 } });
  const buffers = memoryPrewarmStore(dipAt1215, { tables: { "9": ["public.robot_messages"] } });
  const body = await (await app(store, configWith({}), buffers.store).fetch(runRequest())).json();
  assert.deepEqual(buffers.calls, ["settle"]);
  assert.deepEqual(body.optimizationsApplied, []);
  assert.match(body.buffers.rejected[0].reason, /no statement is forecast to spike over the slot/);
});

Deno.test("POST /predictive/run says when there is too little history, and changes nothing", async () => {
  const { store } = memoryStore(() => 0);
  const buffers = memoryPrewarmStore();
  const body = await (await app(store, configWith({}), buffers.store).fetch(runRequest())).json();
  assert.deepEqual(body.optimizationsApplied, []);
  assert.equal(body.history.enough, false);
  assert.match(body.history.reason, /no database snapshots to find buffer-cache dips in/);
  assert.deepEqual(buffers.calls, ["settle"]);
});

Deno.test("POST /predictive/run skips a load that fails, with the reason, and still succeeds", async () => {
  const { store } = memoryStore();
  const buffers = memoryPrewarmStore(dipAt1215, {
    failLoad: () => "permission denied for table robot_messages",
  });
  const body = await (await app(store, configWith({}), buffers.store).fetch(runRequest())).json();
  assert.equal(body.success, true);
  assert.deepEqual(body.optimizationsApplied, []);
  assert.deepEqual(body.skipped, [{
    subject: "table:public.robot_messages@12:15",
    reason: "permission denied for table robot_messages",
  }]);
  assert.deepEqual(body.estimatedPerformanceGain, []);
});

Deno.test("POST /predictive/run keeps its forecasts when buffer warming fails, and says why", async () => {
  const { store, calls } = memoryStore();
  const buffers = memoryPrewarmStore(dipAt1215, { failRead: "permission denied for view pg_buffercache" });
  const response = await app(store, configWith({}), buffers.store).fetch(runRequest());
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.buffers.reason, "buffer warming failed: permission denied for view pg_buffercache");
  assert.equal(body.forecasts.forecasts.length, 1);
  assert.ok(calls.includes("finish 41 succeeded"));
});

Deno.test("POST /predictive/run is a 409 while the module is off, and needs the secret key", async () => {
  const { store, calls } = memoryStore();
  const off = await app(store, configWith({ modules: { predictive: false } })).fetch(runRequest());
  assert.equal(off.status, 409);
  assert.match((await off.json()).error, /modules\.predictive is off/);
  const publishable = await app(store).fetch(
    new Request("http://local/predictive/run", { method: "POST", headers: { apikey: publishableKey } }),
  );
  assert.equal(publishable.status, 403);
  await publishable.body?.cancel();
  assert.deepEqual(calls, []);
});
