import assert from "node:assert/strict";
import {
  type ConfigAccess,
  createAuthenticator,
  parseConfig,
  type PingOutcome,
  pingSenderDefaults,
  type WarmerStore,
  type WarmPing,
  type WarmTarget,
  type WarmTargetInput,
} from "../../shared/mod.ts";
import { createWarmerApp } from "../../supabase/functions/warmer/index.ts";
import { MINUTE_MS } from "../../shared/time.ts";

/** The warmer function run in process over an in-memory store, pinging a real local HTTP server. */

const secretKey = "sb_secret_in_process_test";
const publishableKey = "sb_publishable_in_process_test";
const on = { modules: { warmer: true } };

const configWith = (input: Record<string, unknown>): Pick<ConfigAccess, "readConfig"> => ({
  readConfig: () => Promise.resolve({ config: parseConfig(input), updatedAt: null, updatedBy: null }),
});

/** A store with one busy function whose worker (booted 145 s ago) retires in 5 s: a successor is due. */
function memoryStore(spentThisHour = 0) {
  const calls: string[] = [];
  const outcomes = new Map<string, PingOutcome>();
  const targets: WarmTarget[] = [];
  const store: WarmerStore = {
    startRun: () => (calls.push("startRun"), Promise.resolve("7")),
    finishRun: (_, status) => (calls.push(`finishRun ${status}`), Promise.resolve()),
    listTargets: () => Promise.resolve(targets),
    putTarget(functionName, enabled) {
      calls.push(`putTarget ${functionName} ${enabled}`);
      const target = {
        functionName,
        source: "app" as const,
        enabled,
        registeredAt: "2026-11-28T12:00:00.000Z",
      };
      targets.push(target);
      return Promise.resolve(target);
    },
    targets(now) {
      const nowMs = now.getTime();
      const busy: WarmTargetInput = {
        fn: "metrics",
        counts: { firstMinute: Math.floor(nowMs / MINUTE_MS) - 30, count: () => 60 },
        gaps: null,
        lastRequestMs: nowMs - 1_000,
        lastPingMs: nowMs - 10_000,
        bootedAtMs: nowMs - 145_000,
        coldStartMs: 300,
        backedOffUntilMs: null,
        pendingPingsMs: [],
      };
      return Promise.resolve([busy]);
    },
    pingsInLastHour: () => Promise.resolve(spentThisHour),
    recordPlan: (_, pings: readonly WarmPing[]) => {
      calls.push(`recordPlan ${pings.map((p) => `${p.fn}:${p.kind}`).join(",")}`);
      return Promise.resolve(pings.map((_, k) => String(100 + k)));
    },
    recordOutcome: (id, outcome) => (outcomes.set(id, outcome), Promise.resolve()),
  };
  return { store, calls, outcomes };
}

async function withWarmer(
  store: WarmerStore,
  config: Pick<ConfigAccess, "readConfig">,
  body: (fetch: (request: Request) => Promise<Response>, background: Promise<unknown>[]) => Promise<void>,
) {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => Response.json({ warm: true, coldStart: true, workerAgeMs: 3 }),
  );
  const background: Promise<unknown>[] = [];
  const app = createWarmerApp({
    store,
    config,
    sender: {
      ...pingSenderDefaults,
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      headers: {},
      now: Date.now,
      fetch: globalThis.fetch.bind(globalThis),
    },
    waitUntil: (promise) => void background.push(promise),
    authenticator: createAuthenticator({
      env: { secretKeys: { default: secretKey }, publishableKeys: { default: publishableKey } },
    }),
  });
  try {
    await body(async (request) => await app.fetch(request), background);
    await Promise.all(background);
  } finally {
    await server.shutdown();
  }
}

const run = (headers: Record<string, string> = { apikey: secretKey }) =>
  new Request("http://local/warmer/run", { method: "POST", headers });

Deno.test("POST /warmer/run answers with the plan at once and sends its pings in the background", async () => {
  const { store, calls, outcomes } = memoryStore();
  await withWarmer(store, configWith(on), async (fetch, background) => {
    const response = await fetch(run());
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.runId, "7");
    assert.deepEqual(body.pings.map((p: { fn: string; kind: string; id: string }) => [p.fn, p.kind, p.id]), [
      ["metrics", "successor", "100"],
    ]);
    assert.equal(body.pingsLeft, 120);
    assert.equal(outcomes.size, 0, "the answer does not wait for the ping, due 5 s later");
    assert.equal(background.length, 1);
    await Promise.all(background);
    assert.equal(outcomes.get("100")?.coldStart, true);
    assert.deepEqual(calls, ["startRun", "recordPlan metrics:successor", "finishRun succeeded"]);
  });
});

Deno.test("POST /warmer/run plans for the worker lifetime of the project's plan", async () => {
  // On a paid plan the worker booted 145 s ago lives until 400 s: no successor is due this minute.
  const { store } = memoryStore();
  await withWarmer(store, configWith({ ...on, platform: { workerLifetimeSeconds: 400 } }), async (fetch) => {
    const body = await (await fetch(run())).json();
    assert.deepEqual(body.pings, []);
    assert.match(body.skipped[0].reason, /^kept warm by traffic/);
  });
});

Deno.test("POST /warmer/run plans nothing once the hour's ping budget is spent", async () => {
  const { store } = memoryStore(120);
  await withWarmer(store, configWith(on), async (fetch) => {
    const body = await (await fetch(run())).json();
    assert.deepEqual(body.pings, []);
    assert.equal(body.pingsLeft, 0);
    assert.match(body.skipped[0].reason, /^over limits.warmPingsPerHour/);
  });
});

Deno.test("POST /warmer/run answers 409 while modules.warmer is off, and plans nothing", async () => {
  const { store, calls } = memoryStore();
  await withWarmer(store, configWith({}), async (fetch) => {
    const response = await fetch(run());
    assert.equal(response.status, 409);
    assert.match((await response.json()).error, /^modules.warmer is off/);
    assert.deepEqual(calls, []);
  });
});

Deno.test("the warmer's routes need the secret key", async () => {
  const { store, calls } = memoryStore();
  await withWarmer(store, configWith(on), async (fetch) => {
    const statuses = [];
    for (const headers of [{}, { apikey: publishableKey }] as Record<string, string>[]) {
      statuses.push((await fetch(run(headers))).status);
      statuses.push((await fetch(new Request("http://local/warmer/targets", { headers }))).status);
    }
    assert.deepEqual(statuses, [401, 401, 403, 403]);
    assert.deepEqual(calls, []);
  });
});

Deno.test("PUT /warmer/targets/:name registers an app function", async () => {
  const { store, calls } = memoryStore();
  await withWarmer(store, configWith(on), async (fetch) => {
    const response = await fetch(
      new Request("http://local/warmer/targets/robots", {
        method: "PUT",
        headers: { apikey: secretKey, "content-type": "application/json" },
        body: JSON.stringify({ enabled: true }),
      }),
    );
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).target.functionName, "robots");
    assert.deepEqual(calls, ["putTarget robots true"]);
  });
});

Deno.test("PUT /warmer/targets/:name names a bad name or body and changes nothing", async () => {
  const { store, calls } = memoryStore();
  await withWarmer(store, configWith(on), async (fetch) => {
    const cases: [string, string, string][] = [
      ["9robots", "{}", "name"],
      ["robots%2Fx", "{}", "name"],
      ["robots", '{"enabled":"yes"}', "enabled"],
      ["robots", '{"other":1}', "(root)"],
    ];
    for (const [name, body, field] of cases) {
      const response = await fetch(
        new Request(`http://local/warmer/targets/${name}`, {
          method: "PUT",
          headers: { apikey: secretKey, "content-type": "application/json" },
          body,
        }),
      );
      assert.equal(response.status, 400, `${name} ${body}`);
      const { issues } = await response.json();
      assert.ok(issues.some((issue: { path: string }) => issue.path === field), JSON.stringify(issues));
    }
    assert.deepEqual(calls, []);
  });
});

Deno.test("GET /warmer/plan shows what a run would plan, with the module off, and stores and sends nothing", async () => {
  const { store, calls, outcomes } = memoryStore();
  await withWarmer(store, configWith({}), async (fetch, background) => {
    const response = await fetch(new Request("http://local/warmer/plan", { headers: { apikey: secretKey } }));
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.deepEqual(body.pings.map((p: { fn: string; kind: string }) => [p.fn, p.kind]), [[
      "metrics",
      "successor",
    ]]);
    assert.equal(body.pingsLeft, 120);
    assert.deepEqual(calls, []);
    assert.equal(background.length, 0);
    assert.equal(outcomes.size, 0);
  });
});
