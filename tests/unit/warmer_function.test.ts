import assert from "node:assert/strict";
import {
  type Clock,
  type ConfigAccess,
  createAuthenticator,
  parseConfig,
  type PingOutcome,
  pingSenderDefaults,
  type RefreshStore,
  settingClock,
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
    recordDropped: (id, reason) => (calls.push(`recordDropped ${id} ${reason}`), Promise.resolve()),
    lastRequestAfter: () => Promise.resolve(null),
  };
  return { store, calls, outcomes };
}

/**
 * Named loaders in memory, and one entry of `market.candles` read in each of its 20 minutes whose freshness ends
 * in 3 s, in a namespace whose misses cost 40 ms more than its hits.
 */
function memoryRefreshes() {
  const calls: string[] = [];
  const refreshes: RefreshStore = {
    listLoaders: () => Promise.resolve([]),
    putLoader(namespace, loader, enabled) {
      calls.push(`putLoader ${namespace} ${JSON.stringify(loader)} ${enabled}`);
      if ("function" in loader && loader.function === "public.missing") {
        return Promise.resolve({ problem: "function public.missing (key text) does not exist" });
      }
      return Promise.resolve({
        namespace,
        functionName: "function" in loader ? loader.function : null,
        endpoint: "endpoint" in loader ? loader.endpoint : null,
        enabled,
        updatedAt: "2026-11-28T12:00:00.000Z",
      });
    },
    candidates: (now) =>
      Promise.resolve([{
        namespace: "market.candles",
        key: "AAPL:1m",
        freshUntilMs: now.getTime() + 3_000,
        ttlMs: MINUTE_MS,
        readMinutes: 20,
        firstStoredAtMs: now.getTime() - 20 * MINUTE_MS,
      }]),
    lookupCosts: (namespaces) =>
      Promise.resolve(namespaces.map((namespace) => ({ namespace, missMs: 42, hitMs: 2 }))),
    refresh(namespace, key) {
      calls.push(`refresh ${namespace} ${key}`);
      return Promise.resolve("refreshed");
    },
  };
  return { refreshes, calls };
}

async function withWarmer(
  store: WarmerStore,
  config: Pick<ConfigAccess, "readConfig">,
  body: (fetch: (request: Request) => Promise<Response>, background: Promise<unknown>[]) => Promise<void>,
  refreshes: RefreshStore = memoryRefreshes().refreshes,
  workerAgeMs?: () => number,
  clock?: Clock,
) {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => Response.json({ warm: true, coldStart: true, workerAgeMs: 3 }),
  );
  const background: Promise<unknown>[] = [];
  const app = createWarmerApp({
    store,
    refreshes,
    refreshSender: { concurrency: 1, timeoutMs: 1_000 },
    config,
    sender: {
      ...pingSenderDefaults,
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      headers: {},
      fetch: globalThis.fetch.bind(globalThis),
    },
    waitUntil: (promise) => void background.push(promise),
    workerAgeMs,
    clock: clock && (() => Promise.resolve(clock)),
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
    assert.equal(background.length, 2, "the pings, and the cache's reloads");
    await Promise.all(background);
    assert.equal(outcomes.get("100")?.coldStart, true);
    assert.deepEqual(calls, ["startRun", "recordPlan metrics:successor", "finishRun succeeded"]);
  });
});

Deno.test("POST /warmer/run plans no ping its own worker will be retired before, and says why", async () => {
  // The warmer's worker is 146 s old: retired 4 s from now, before the successor due in 5 s.
  const { store, calls } = memoryStore();
  await withWarmer(
    store,
    configWith(on),
    async (fetch) => {
      const body = await (await fetch(run())).json();
      assert.deepEqual(body.pings, []);
      assert.equal(
        Date.parse(body.window.to) - Date.parse(body.window.from),
        2_000,
        "its 4 s less the margin",
      );
      assert.match(body.window.cutShort, /^this warmer worker, 146 s old, is retired 150 s after its boot/);
      assert.deepEqual(calls, ["startRun", "recordPlan ", "finishRun succeeded"]);
    },
    undefined,
    () => 146_000,
  );
});

Deno.test("POST /warmer/run plans, sends and measures on the warmer's clock", async () => {
  // At 60x the warmer's worker, 2 wall-clock seconds old, is 120 s old on the clock: retired in 30 s, after the
  // successor due 5 s from now, which goes a twelfth of a wall-clock second later.
  const clock = settingClock({
    rate: 60,
    originRealMs: Date.now(),
    originAtMs: Date.parse("2026-11-29T10:00:00Z"),
  });
  const { store, outcomes } = memoryStore();
  await withWarmer(
    store,
    configWith(on),
    async (fetch, background) => {
      const started = performance.now();
      const body = await (await fetch(run())).json();
      assert.match(body.window.cutShort, /^this warmer worker, 120 s old, is retired 150 s after its boot/);
      assert.ok(Math.abs(Date.parse(body.startedAt) - clock.now()) < 60_000, "the run starts on the clock");
      assert.deepEqual(body.pings.map((p: { kind: string }) => p.kind), ["successor"]);
      await Promise.all(background);
      assert.ok(
        performance.now() - started < 2_000,
        "sent within wall-clock seconds, not the 5 s of the clock",
      );
      assert.equal(outcomes.get("100")?.workerAgeMs, 3 * 60, "the answered age, on the clock");
    },
    undefined,
    () => 2_000,
    clock,
  );
});

Deno.test("POST /warmer/run plans the whole minute for a young warmer worker", async () => {
  const { store } = memoryStore();
  await withWarmer(
    store,
    configWith(on),
    async (fetch) => {
      const body = await (await fetch(run())).json();
      assert.equal(body.pings.length, 1);
      assert.equal(Date.parse(body.window.to) - Date.parse(body.window.from), 60_000);
      assert.equal(body.window.cutShort, null);
    },
    undefined,
    () => 10_000,
  );
});

Deno.test("POST /warmer/run plans for the worker lifetime of the project's plan", async () => {
  // On a paid plan the worker booted 145 s ago lives until 400 s: no successor is due this minute.
  const { store } = memoryStore();
  await withWarmer(store, configWith({ ...on, platform: { workerLifetimeSeconds: 400 } }), async (fetch) => {
    const body = await (await fetch(run())).json();
    assert.deepEqual(body.pings.map((ping: { kind: string }) => ping.kind), ["refresh"]);
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
      statuses.push((await fetch(new Request("http://local/warmer/loaders", { headers }))).status);
      statuses.push(
        (await fetch(
          new Request("http://local/warmer/loaders/market.candles", {
            method: "PUT",
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify({ function: "public.load_candles" }),
          }),
        )).status,
      );
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 403, 403, 403, 403]);
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

Deno.test("POST /warmer/run reloads in the background the cache entries likely to be read before they expire", async () => {
  const { store } = memoryStore();
  const { refreshes, calls } = memoryRefreshes();
  await withWarmer(store, configWith(on), async (fetch, background) => {
    const body = await (await fetch(run())).json();
    assert.equal(body.refreshes.planned.length, 1);
    const [planned] = body.refreshes.planned;
    assert.equal(planned.key, "AAPL:1m");
    assert.match(planned.reason, /each saving 40 ms/);
    assert.deepEqual(calls, [], "the answer does not wait for the reload, due 1 s later");
    await Promise.all(background);
    assert.deepEqual(calls, ["refresh market.candles AAPL:1m"]);
  }, refreshes);
});

Deno.test("PUT /warmer/loaders/:namespace registers a namespace's loader", async () => {
  const { store } = memoryStore();
  const { refreshes, calls } = memoryRefreshes();
  await withWarmer(store, configWith(on), async (fetch) => {
    const response = await fetch(
      new Request("http://local/warmer/loaders/market.candles", {
        method: "PUT",
        headers: { apikey: secretKey, "content-type": "application/json" },
        body: JSON.stringify({ function: "public.load_candles" }),
      }),
    );
    assert.equal(response.status, 200);
    assert.equal((await response.json()).loader.functionName, "public.load_candles");
    assert.deepEqual(calls, ['putLoader market.candles {"function":"public.load_candles"} true']);
  }, refreshes);
});

Deno.test("PUT /warmer/loaders/:namespace registers an app endpoint as a namespace's loader", async () => {
  const { store } = memoryStore();
  const { refreshes, calls } = memoryRefreshes();
  await withWarmer(store, configWith(on), async (fetch) => {
    const response = await fetch(
      new Request("http://local/warmer/loaders/market.quote", {
        method: "PUT",
        headers: { apikey: secretKey, "content-type": "application/json" },
        body: JSON.stringify({ endpoint: "market-data/cache-load", enabled: false }),
      }),
    );
    assert.equal(response.status, 200);
    assert.equal((await response.json()).loader.endpoint, "market-data/cache-load");
    assert.deepEqual(calls, ['putLoader market.quote {"endpoint":"market-data/cache-load"} false']);
  }, refreshes);
});

Deno.test("PUT /warmer/loaders/:namespace answers 422 with what is wrong with the function named", async () => {
  const { store } = memoryStore();
  await withWarmer(store, configWith(on), async (fetch) => {
    const response = await fetch(
      new Request("http://local/warmer/loaders/market.candles", {
        method: "PUT",
        headers: { apikey: secretKey, "content-type": "application/json" },
        body: JSON.stringify({ function: "public.missing" }),
      }),
    );
    assert.equal(response.status, 422);
    assert.equal(
      (await response.json()).error,
      "function: function public.missing (key text) does not exist",
    );
  });
});

Deno.test("PUT /warmer/loaders/:namespace names a bad namespace or body and changes nothing", async () => {
  const { store } = memoryStore();
  const { refreshes, calls } = memoryRefreshes();
  await withWarmer(store, configWith(on), async (fetch) => {
    const cases: [string, string, string][] = [
      ["market%00candles", '{"function":"public.f"}', "namespace"],
      ["market.candles", '{"function":"f"}', "function"],
      ["market.candles", '{"function":"public.f(text)"}', "function"],
      ["market.candles", '{"function":"public.f; drop table x"}', "function"],
      ["market.candles", '{"function":"public.f","enabled":1}', "enabled"],
      ["market.candles", '{"function":"public.f","other":1}', "(root)"],
      ["market.candles", '{"endpoint":"../etc/passwd"}', "endpoint"],
      ["market.candles", '{"endpoint":"market-data//x"}', "endpoint"],
      ["market.candles", '{"endpoint":"market-data/../../rest/v1/robots"}', "endpoint"],
      ["market.candles", '{"function":"public.f","endpoint":"market-data/load"}', "(root)"],
      ["market.candles", "{}", "(root)"],
    ];
    for (const [namespace, body, field] of cases) {
      const response = await fetch(
        new Request(`http://local/warmer/loaders/${namespace}`, {
          method: "PUT",
          headers: { apikey: secretKey, "content-type": "application/json" },
          body,
        }),
      );
      assert.equal(response.status, 400, `${namespace} ${body}`);
      const { issues } = await response.json();
      assert.ok(issues.some((issue: { path: string }) => issue.path === field), JSON.stringify(issues));
    }
    assert.deepEqual(calls, []);
  }, refreshes);
});
