import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { startUpstream } from "../../bench/reference_app/upstream.ts";
import {
  applyBaseSchema,
  dropReferenceApp,
  referenceUserEmailDomain,
} from "../../bench/reference_app/schema/mod.ts";
import { type RunningGateway, startGateway } from "../../scripts/stack/mod.ts";
import { stackEnv, userJwt } from "../support/env.ts";

/**
 * The QuantForge reference app's functions (bench/reference_app/config.toml) on a gateway of their own,
 * against the stack's database and a local upstream quote server: every route with a user JWT, ownership,
 * writes, chat turns, the quote service's outages, and the peers' cache and the suite's shared cache switched on
 * and off by env only.
 */

const env = stackEnv();
const configPath = fileURLToPath(new URL("../../bench/reference_app/config.toml", import.meta.url));
const options = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The market-data function gives up on the quote service after this long. */
const upstreamTimeoutMs = 500;

interface Fixture {
  owner: string;
  other: string;
  /** Unique word in this run's robot names, so other data in the table does not disturb searches. */
  word: string;
  symbol: string;
  robots: {
    ownPublic: string;
    ownPrivate: string;
    ownDeleted: string;
    otherPrivate: string;
    otherPublic: string;
  };
}

async function insertFixture(sql: postgres.Sql): Promise<Fixture> {
  const word = `zq${crypto.randomUUID().slice(0, 8)}`;
  const [owner, other] = [crypto.randomUUID(), crypto.randomUUID()];
  await sql`
    insert into auth.users (id, email) values
      (${owner}, ${`owner-${word}@${referenceUserEmailDomain}`}),
      (${other}, ${`other-${word}@${referenceUserEmailDomain}`})`;
  const robot = async (
    userId: string,
    name: string,
    fields: { is_public?: boolean; deleted?: boolean; strategy?: string; description?: string },
  ) => {
    const [row] = await sql<{ id: string }[]>`
      insert into public.robots (user_id, name, description, code, strategy_type, is_public, is_active, deleted_at,
        chat_history)
      values (${userId}, ${name}, ${fields.description ?? null}, ${"//+ MQL5\nint OnInit() { return 0; }\n"},
        ${fields.strategy ?? "Trend"}, ${fields.is_public ?? false}, ${!fields.deleted},
        ${fields.deleted ? new Date() : null}, ${sql.json([{ role: "user", content: "make it faster" }])})
      returning id`;
    return row.id;
  };
  const robots = {
    ownPublic: await robot(owner, `Grid ${word} one`, { is_public: true, strategy: "Grid" }),
    ownPrivate: await robot(owner, `Trend rider`, { description: `a ${word} trend follower` }),
    ownDeleted: await robot(owner, `Old ${word}`, { deleted: true }),
    otherPrivate: await robot(other, `Secret ${word}`, {}),
    otherPublic: await robot(other, `Shared ${word}`, { is_public: true, strategy: "Scalping" }),
  };
  const symbol = `T${word.slice(2, 8).toUpperCase()}`;
  const start = Date.parse("2025-06-02T00:00:00Z");
  for (let i = 0; i < 12; i++) {
    await sql`
      insert into public.market_candles (symbol, timeframe, open_time, open, high, low, close, volume)
      values (${symbol}, 'M5', ${new Date(start + i * 300_000)}, 1, 1.2, 0.9, 1.1, ${100 + i})`;
  }
  return { owner, other, word, symbol, robots };
}

async function withApp(
  functionsEnv: Record<string, string>,
  fn: (
    call: (path: string, init?: RequestInit) => Promise<Response>,
    gateway: RunningGateway,
  ) => Promise<void>,
) {
  const envFile = await Deno.makeTempFile({ suffix: ".env" });
  await Deno.writeTextFile(
    envFile,
    Object.entries({ METRICS_URL: `${env.url}/functions/v1/metrics`, ...functionsEnv })
      .map(([name, value]) => `${name}=${value}`).join("\n") + "\n",
  );
  const logs: string[] = [];
  const gateway = await startGateway({
    port: 0,
    configPath,
    functionsEnvPath: envFile,
    dbUrl: env.dbUrl,
    workerIdleTimeoutS: 60,
    workerMaxLifetimeS: 300,
    log: (line) => logs.push(line),
  });
  try {
    await fn((path, init) => fetch(`${gateway.url}/functions/v1/${path}`, init), gateway);
  } catch (error) {
    console.error(logs.join("\n"));
    throw error;
  } finally {
    await gateway.stop();
    await Deno.remove(envFile);
  }
}

async function json(response: Response) {
  return { status: response.status, headers: response.headers, body: await response.json() };
}

Deno.test({
  ...options,
  name: "the reference app's functions serve QuantForge's query shapes to signed-in users",
  fn: async (t) => {
    const sql = postgres(env.dbUrl, { prepare: false, max: 1, onnotice: () => {} });
    const [{ existed }] = await sql<{ existed: boolean }[]>`
      select to_regclass('public.robots') is not null as existed`;
    await applyBaseSchema(sql);
    const fixture = await insertFixture(sql);
    const upstream = await startUpstream({ latencyMs: { median: 5, p99: 20 }, seed: 3 });
    const testStart = new Date();
    const [ownerJwt, otherJwt] = [await userJwt(fixture.owner), await userJwt(fixture.other)];
    const as = (jwt: string, init: RequestInit = {}): RequestInit => ({
      ...init,
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json", ...init.headers },
    });
    try {
      await withApp({
        UPSTREAM_URL: upstream.url,
        UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
        APP_CACHE: "lru-ttl",
        APP_CACHE_TTL_MS: "60000",
        APP_CACHE_MAX_ENTRIES: "100",
      }, async (call) => {
        const { robots, word, symbol } = fixture;

        await t.step("every route needs a user JWT (401), warm-ups need none", async () => {
          for (
            const path of [
              "robots",
              `robots/${robots.ownPrivate}`,
              "robots/count",
              `robot-chat/${robots.ownPrivate}/messages`,
              "market-data/quote?symbol=EURUSD",
            ]
          ) {
            const response = await json(await call(path));
            assert.equal(response.status, 401, path);
            assert.ok(response.body.error && response.body.requestId, path);
          }
          const warm = await json(await call("robots", { headers: { "x-warmup": "1" } }));
          assert.equal(warm.status, 200);
          assert.equal(warm.body.warm, true);
          await new Promise((resolve) => setTimeout(resolve, 50));
          const again = await json(await call("robots", { headers: { "x-warmup": "1" } }));
          // the same worker answers unless it was retired in between, and then it has just booted
          assert.ok(
            again.body.coldStart
              ? again.body.workerAgeMs < warm.body.workerAgeMs
              : again.body.workerAgeMs >= warm.body.workerAgeMs + 40,
            `worker ages ${warm.body.workerAgeMs} then ${again.body.workerAgeMs} ms`,
          );
        });

        await t.step(
          "the dashboard lists visible active robots, newest first, with every column",
          async () => {
            const { status, body } = await json(await call("robots", as(ownerJwt)));
            assert.equal(status, 200);
            const ids = body.robots.map((robot: { id: string }) => robot.id);
            assert.ok(ids.includes(robots.ownPublic) && ids.includes(robots.ownPrivate));
            assert.ok(ids.includes(robots.otherPublic), "public robots of others are visible, as under RLS");
            assert.ok(!ids.includes(robots.otherPrivate) && !ids.includes(robots.ownDeleted));
            assert.ok(body.robots.length <= 100);
            const mine = body.robots.find((robot: { id: string }) => robot.id === robots.ownPrivate);
            assert.ok(typeof mine.code === "string" && Array.isArray(mine.chat_history));
            const created = body.robots.map((robot: { created_at: string }) => Date.parse(robot.created_at));
            assert.deepEqual(created, [...created].sort((a, b) => b - a));
          },
        );

        await t.step("one robot by id: own and public ones, never another user's private one", async () => {
          const own = await json(await call(`robots/${robots.ownPrivate}`, as(ownerJwt)));
          assert.equal(own.status, 200);
          assert.equal(own.body.robot.id, robots.ownPrivate);
          assert.equal(own.headers.get("x-cache"), "miss");
          const again = await call(`robots/${robots.ownPrivate}`, as(ownerJwt));
          assert.equal(again.headers.get("x-cache"), "hit");
          await again.body?.cancel();
          assert.equal((await json(await call(`robots/${robots.otherPublic}`, as(ownerJwt)))).status, 200);
          const denied = await json(await call(`robots/${robots.otherPrivate}`, as(ownerJwt)));
          assert.equal(denied.status, 404);
          assert.equal(denied.body.robot, undefined);
          assert.equal((await json(await call(`robots/${robots.ownDeleted}`, as(ownerJwt)))).status, 404);
          assert.equal((await json(await call("robots/not-a-uuid", as(ownerJwt)))).status, 404);
        });

        await t.step(
          "search matches name or description, filters by strategy, pages by 20 with a total",
          async () => {
            const all = await json(await call(`robots/search?q=${word}`, as(ownerJwt)));
            assert.equal(all.status, 200);
            const ids = all.body.robots.map((robot: { id: string }) => robot.id).sort();
            assert.deepEqual(ids, [robots.ownPublic, robots.ownPrivate, robots.otherPublic].sort());
            assert.equal(all.body.total, 3);
            const grid = await json(await call(`robots/search?q=${word}&strategy=Grid`, as(ownerJwt)));
            assert.deepEqual(grid.body.robots.map((robot: { id: string }) => robot.id), [robots.ownPublic]);
            const beyond = await json(await call(`robots/search?q=${word}&page=2`, as(ownerJwt)));
            assert.deepEqual([beyond.body.robots.length, beyond.body.total], [0, 3]);
            const bad = await json(await call(`robots/search?q=${word}&strategy=Moon`, as(ownerJwt)));
            assert.equal(bad.status, 400);
            assert.equal(bad.body.issues[0].path, "strategy");
          },
        );

        await t.step(
          "recent, by-ids, strategy types, health and export read the user's own robots",
          async () => {
            const recent = await json(await call("robots/recent", as(ownerJwt)));
            assert.deepEqual(
              recent.body.robots.map((robot: { id: string }) => robot.id).sort(),
              [robots.ownPublic, robots.ownPrivate].sort(),
            );
            const byIds = await json(
              await call(
                `robots/by-ids?ids=${robots.ownPrivate},${robots.otherPublic},${robots.ownDeleted}`,
                as(ownerJwt),
              ),
            );
            assert.deepEqual(byIds.body.robots.map((robot: { id: string }) => robot.id), [robots.ownPrivate]);
            const types = await json(await call("robots/strategy-types", as(ownerJwt)));
            assert.ok(["Grid", "Scalping", "Trend"].every((type) => types.body.strategyTypes.includes(type)));
            assert.deepEqual((await json(await call("robots/health", as(ownerJwt)))).body, { ok: true });
            const exported = await json(await call("robots/export", as(ownerJwt)));
            assert.equal(exported.body.count, 2);
          },
        );

        await t.step("writes change rows and invalidate the writer's cached reads", async () => {
          const before = await json(await call("robots/count", as(ownerJwt)));
          assert.equal(before.headers.get("x-cache"), "miss");
          assert.equal((await call("robots/count", as(ownerJwt))).headers.get("x-cache"), "hit");

          const created = await json(
            await call(
              "robots",
              as(ownerJwt, {
                method: "POST",
                body: JSON.stringify({
                  name: `New ${word}`,
                  code: "int OnInit(){return 0;}",
                  strategy_type: "Grid",
                }),
              }),
            ),
          );
          assert.equal(created.status, 201);
          assert.equal(created.body.robot.user_id, fixture.owner);
          const after = await json(await call("robots/count", as(ownerJwt)));
          assert.equal(after.headers.get("x-cache"), "miss", "the create dropped the cached count");
          assert.equal(after.body.count, before.body.count + 1);
          const clash = await json(
            await call(
              "robots",
              as(ownerJwt, {
                method: "POST",
                body: JSON.stringify({ name: `New ${word}`, code: "x" }),
              }),
            ),
          );
          assert.equal(clash.status, 409);

          const history = [{ role: "user", content: "add a stop loss" }, {
            role: "assistant",
            content: "done",
          }];
          const updated = await json(
            await call(
              `robots/${robots.ownPrivate}`,
              as(ownerJwt, {
                method: "PUT",
                body: JSON.stringify({
                  code: "// v2",
                  strategy_params: { stopLoss: 20 },
                  chat_history: history,
                }),
              }),
            ),
          );
          assert.equal(updated.status, 200);
          const [row] = await sql`
            select code, strategy_params, chat_history, updated_at > created_at as touched
            from public.robots where id = ${robots.ownPrivate}`;
          assert.deepEqual([row.code, row.strategy_params, row.chat_history, row.touched], [
            "// v2",
            { stopLoss: 20 },
            history,
            true,
          ]);
          const fresh = await json(await call(`robots/${robots.ownPrivate}`, as(ownerJwt)));
          assert.equal(fresh.headers.get("x-cache"), "miss");
          assert.equal(fresh.body.robot.code, "// v2");
          const othersUpdate = await call(
            `robots/${robots.otherPrivate}`,
            as(ownerJwt, {
              method: "PUT",
              body: JSON.stringify({ code: "x", strategy_params: {}, chat_history: [] }),
            }),
          );
          assert.equal(othersUpdate.status, 404);
          await othersUpdate.body?.cancel();

          const copies = [];
          for (let i = 0; i < 2; i++) {
            copies.push(
              await json(
                await call(`robots/${robots.otherPublic}/duplicate`, as(ownerJwt, { method: "POST" })),
              ),
            );
          }
          assert.deepEqual(copies.map((copy) => copy.status), [201, 201]);
          assert.equal(copies[0].body.robot.name, `Copy of Shared ${word}`);
          assert.match(copies[1].body.robot.name, new RegExp(`^Copy of Shared ${word} \\(\\w{8}\\)$`));
          assert.equal(copies[0].body.robot.user_id, fixture.owner);
          const noCopy = await call(
            `robots/${robots.otherPrivate}/duplicate`,
            as(ownerJwt, { method: "POST" }),
          );
          assert.equal(noCopy.status, 404);
          await noCopy.body?.cancel();

          const deleted = await json(
            await call(`robots/${created.body.robot.id}`, as(ownerJwt, { method: "DELETE" })),
          );
          assert.deepEqual(deleted.body, { deleted: true, id: created.body.robot.id });
          const [gone] = await sql`
            select is_active, deleted_at is not null as deleted from public.robots where id = ${created.body.robot.id}`;
          assert.deepEqual([gone.is_active, gone.deleted], [false, true]);
          const again = await call(`robots/${created.body.robot.id}`, as(ownerJwt, { method: "DELETE" }));
          assert.equal(again.status, 404);
          await again.body?.cancel();
        });

        await t.step("a chat turn grows robot_messages and robots.chat_history in one go", async () => {
          const path = `robot-chat/${robots.ownPublic}/messages`;
          const [before] = await sql`
            select jsonb_array_length(chat_history) as length from public.robots where id = ${robots.ownPublic}`;
          const turn = await json(
            await call(
              path,
              as(ownerJwt, {
                method: "POST",
                body: JSON.stringify({
                  messages: [{ role: "user", content: "why grid?" }, {
                    role: "assistant",
                    content: "ranging market",
                  }],
                }),
              }),
            ),
          );
          assert.equal(turn.status, 201);
          assert.equal(turn.body.chatLength, before.length + 2);
          assert.deepEqual(turn.body.messages.map((m: { role: string }) => m.role), ["user", "assistant"]);
          const [after] = await sql`
            select chat_history -> -1 ->> 'content' as last, jsonb_array_length(chat_history) as length
            from public.robots where id = ${robots.ownPublic}`;
          assert.deepEqual([after.last, after.length], ["ranging market", before.length + 2]);
          const listed = await json(await call(`${path}?limit=1`, as(ownerJwt)));
          assert.deepEqual(listed.body.messages.map((m: { content: string }) => m.content), [
            "ranging market",
          ]);
          const all = await json(await call(path, as(ownerJwt)));
          assert.equal(all.body.messages.length, 2);
          const foreign = await call(path, as(otherJwt, { method: "POST", body: JSON.stringify(turn.body) }));
          assert.equal(foreign.status, 400, "unknown fields are refused before anything is written");
          await foreign.body?.cancel();
          const notOwner = await json(
            await call(
              path,
              as(otherJwt, {
                method: "POST",
                body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
              }),
            ),
          );
          assert.equal(notOwner.status, 404, "chats are private even on public robots");
          const [{ count }] = await sql`
            select count(*)::int as count from public.robot_messages where robot_id = ${robots.ownPublic}`;
          assert.equal(count, 2);
        });

        await t.step("candles come from market_candles by symbol, timeframe and range", async () => {
          const range = "from=2025-06-02T00:10:00Z&to=2025-06-02T00:30:00Z";
          const first = await json(
            await call(`market-data/candles?symbol=${symbol}&timeframe=M5&${range}`, as(ownerJwt)),
          );
          assert.equal(first.status, 200);
          assert.deepEqual(
            first.body.candles.map((candle: { time: string }) => candle.time),
            [
              "2025-06-02T00:10:00.000Z",
              "2025-06-02T00:15:00.000Z",
              "2025-06-02T00:20:00.000Z",
              "2025-06-02T00:25:00.000Z",
            ],
          );
          assert.equal(first.headers.get("x-cache"), "miss");
          const second = await call(
            `market-data/candles?symbol=${symbol}&timeframe=M5&${range}`,
            as(ownerJwt),
          );
          assert.equal(second.headers.get("x-cache"), "hit");
          await second.body?.cancel();
          const inverted = await json(
            await call(
              `market-data/candles?symbol=${symbol}&timeframe=M5&from=2025-06-02T01:00:00Z&to=2025-06-02T00:00:00Z`,
              as(ownerJwt),
            ),
          );
          assert.equal(inverted.status, 400);
        });

        await t.step(
          "a quote comes from the upstream, then from the cache, and lookups reach the metric store",
          async () => {
            const first = await json(
              await call("market-data/quote?symbol=EURUSD&timeframe=M5", as(ownerJwt)),
            );
            assert.equal(first.status, 200);
            assert.equal(first.body.quote.symbol, "EURUSD");
            assert.equal(first.headers.get("x-cache"), "miss");
            const served = upstream.stats().served;
            const second = await json(
              await call("market-data/quote?symbol=EURUSD&timeframe=M5", as(ownerJwt)),
            );
            assert.equal(second.headers.get("x-cache"), "hit");
            assert.deepEqual(second.body, first.body);
            assert.equal(upstream.stats().served, served, "the hit did not reach the upstream");
            let hits: postgres.Row[] = [];
            // The reporter sends in the background, a batch at most every second.
            for (let attempt = 0; attempt < 50 && hits.length === 0; attempt++) {
              await sleep(200);
              hits = await sql`
              select kind, cache_hit from optimizer.metric_events
              where system = 'cache' and target = 'market-data.quote' and cache_hit and occurred_at >= ${testStart}`;
            }
            assert.equal(hits[0]?.kind, "lookup");
          },
        );

        await t.step("during an outage a quote fails fast with the app's JSON error", async () => {
          upstream.setOutages(() => true);
          const started = performance.now();
          const down = await json(await call("market-data/quote?symbol=GBPUSD&timeframe=M1", as(ownerJwt)));
          assert.equal(down.status, 502);
          assert.match(down.body.error, /quote service answered 503/);
          assert.ok(down.body.requestId);
          assert.ok(performance.now() - started < upstreamTimeoutMs);
          upstream.setOutages([]);
        });
      });

      await t.step(
        "a hanging upstream is cut off at UPSTREAM_TIMEOUT_MS; with APP_CACHE=off nothing is cached",
        async () => {
          const hanging = await startUpstream({
            latencyMs: { median: 0, p99: 0 },
            outages: () => true,
            outageMode: "hang",
          });
          try {
            await withApp(
              { UPSTREAM_URL: hanging.url, UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs) },
              async (call) => {
                await (await call("market-data", { headers: { "x-warmup": "1" } })).body?.cancel();
                const started = performance.now();
                const timedOut = await json(await call("market-data/quote?symbol=EURUSD", as(ownerJwt)));
                const took = performance.now() - started;
                assert.equal(timedOut.status, 504);
                assert.ok(took >= upstreamTimeoutMs && took < upstreamTimeoutMs + 1500, `took ${took} ms`);
                hanging.setOutages([]);
                for (let i = 0; i < 2; i++) {
                  const response = await call("market-data/quote?symbol=EURUSD", as(ownerJwt));
                  assert.equal(response.status, 200);
                  assert.equal(response.headers.get("x-cache"), null);
                  await response.body?.cancel();
                }
                assert.equal(hanging.stats().served, 2, "both reads went to the upstream");
              },
            );
          } finally {
            await hanging.stop();
          }
        },
      );

      await t.step(
        "with APP_CACHE=shared a user's read outlives its worker for APP_CACHE_OWNED_TTL_MS, and a write in " +
          "one worker is seen by another",
        async () => {
          const shared = {
            UPSTREAM_URL: upstream.url,
            APP_CACHE: "shared",
            // other reads would expire at once: the hits below come from the owned TTL
            APP_CACHE_TTL_MS: "1",
            APP_CACHE_OWNED_TTL_MS: "3600000",
            APP_CACHE_MAX_ENTRIES: "100",
          };
          const count = async (call: (path: string, init?: RequestInit) => Promise<Response>) => {
            const response = await json(await call("robots/count", as(otherJwt)));
            return { cache: response.headers.get("x-cache"), count: response.body.count as number };
          };
          let first = { cache: null as string | null, count: 0 };
          await withApp(shared, async (call) => {
            first = await count(call);
            assert.equal(first.cache, "miss");
          });
          await withApp(shared, async (a) => {
            await withApp(shared, async (b) => {
              assert.deepEqual(
                await count(a),
                { ...first, cache: "hit" },
                "a new worker reads the shared tier",
              );
              assert.equal((await count(a)).cache, "hit");
              const created = await b(
                "robots",
                as(otherJwt, {
                  method: "POST",
                  body: JSON.stringify({
                    name: `Shared cache ${fixture.word}`,
                    code: "int OnInit(){return 0;}",
                  }),
                }),
              );
              assert.equal(created.status, 201);
              await created.body?.cancel();
              assert.deepEqual(
                await count(a),
                { cache: "miss", count: first.count + 1 },
                "no stale read in a",
              );
              assert.deepEqual(await count(b), { cache: "hit", count: first.count + 1 });

              const robot = async () => {
                const response = await json(await a(`robots/${fixture.robots.otherPrivate}`, as(otherJwt)));
                return {
                  cache: response.headers.get("x-cache"),
                  chat: response.body.robot.chat_history.length,
                };
              };
              await robot();
              const cached = await robot();
              assert.equal(cached.cache, "hit");
              const turn = await b(
                `robot-chat/${fixture.robots.otherPrivate}/messages`,
                as(otherJwt, {
                  method: "POST",
                  body: JSON.stringify({ messages: [{ role: "user", content: "and now?" }] }),
                }),
              );
              assert.equal(turn.status, 201);
              await turn.body?.cancel();
              assert.deepEqual(
                await robot(),
                { cache: "miss", chat: cached.chat + 1 },
                "a chat turn in another function drops the cached robot",
              );
            });
          });
        },
      );
    } finally {
      await upstream.stop();
      if (existed) {
        // Another run's reference data lives in these tables: remove only this run's rows.
        await sql`delete from auth.users where id in (${fixture.owner}, ${fixture.other})`;
        await sql`delete from public.market_candles where symbol = ${fixture.symbol}`;
      } else {
        await dropReferenceApp(sql);
      }
      await sql.end();
    }
  },
});

Deno.test({
  ...options,
  name: "a warm-up ping opens a reference app worker's database connection before it is answered",
  fn: async () => {
    const sql = postgres(env.dbUrl, { prepare: false, max: 1, onnotice: () => {} });
    const connectionsSince = async (since: Date) => {
      const [{ count }] = await sql<{ count: number }[]>`
        select count(*)::int as count from pg_catalog.pg_stat_activity
        where application_name = 'quantforge-robots' and backend_start >= ${since}`;
      return count;
    };
    try {
      await withApp({}, async (call) => {
        const sent = new Date();
        const ping = await call("robots", { headers: { "x-warmup": "1" } });
        assert.equal(ping.status, 200);
        assert.equal((await ping.json()).coldStart, true);
        assert.ok(await connectionsSince(sent) >= 1, "the ping's worker has a connection open");
      });
    } finally {
      await sql.end();
    }
  },
});

Deno.test({
  ...options,
  name:
    "with APP_BREAKER=shared and stale-if-error, an outage answers quotes read before it and stops calling",
  fn: async () => {
    const sql = postgres(env.dbUrl, { prepare: false, max: 1, onnotice: () => {} });
    const upstream = await startUpstream({ latencyMs: { median: 2, p99: 5 }, seed: 4 });
    const user = crypto.randomUUID();
    const word = `Q${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
    const clean = async () => {
      await sql`delete from optimizer.breaker_states where name = 'upstream-quotes'`;
      await sql`delete from optimizer.cache_entries where namespace = 'market-data.quote' and key like ${`quote:${word}%`}`;
    };
    try {
      await applyBaseSchema(sql);
      await clean();
      const jwt = await userJwt(user);
      let call: (path: string, init?: RequestInit) => Promise<Response> = () => Promise.reject();
      const quote = (symbol: string) =>
        call(`market-data/quote?symbol=${word}${symbol}&timeframe=M1`, {
          headers: { authorization: `Bearer ${jwt}` },
        });
      await withApp({
        UPSTREAM_URL: upstream.url,
        UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
        APP_CACHE: "shared",
        APP_CACHE_TTL_MS: "100",
        APP_CACHE_STALE_IF_ERROR_MS: "600000",
        APP_BREAKER: "shared",
        APP_BREAKER_FAILURES: "2",
        APP_BREAKER_HALF_OPEN_AFTER_MS: "600000",
        APP_BREAKER_READ_INTERVAL_MS: "1",
      }, async (fetchApp) => {
        call = fetchApp;
        const before = await quote("A");
        assert.deepEqual([before.status, before.headers.get("x-cache")], [200, "miss"]);
        const quoted = await before.json();
        await sleep(150); // past the entry's TTL
        upstream.setOutages(() => true);

        const stale = await quote("A");
        assert.deepEqual([stale.status, stale.headers.get("x-cache")], [200, "stale-if-error"]);
        assert.deepEqual(await stale.json(), quoted);
        const neverRead = await quote("B");
        assert.equal(neverRead.status, 502, "no entry to fall back on: the service's error");
        await neverRead.body?.cancel();

        const calls = upstream.stats().requests;
        const open = await quote("C");
        assert.equal(open.status, 503);
        assert.match((await open.json()).error, /keeps failing: it is not called/);
        assert.equal(upstream.stats().requests, calls, "the open breaker did not call the service");
        const [row] = await sql<{ state: { ownState: { value: number } } }[]>`
          select state from optimizer.breaker_states where name = 'upstream-quotes'`;
        assert.equal(row?.state.ownState.value, 1, "the circuit is open for every isolate");
      });
    } finally {
      upstream.setOutages([]);
      await clean();
      await upstream.stop();
      await sql.end();
    }
  },
});

Deno.test({
  ...options,
  name: "with APP_QUOTE_FALLBACK=last-candle a quote the service fails answers the newest stored bar's close",
  fn: async () => {
    const sql = postgres(env.dbUrl, { prepare: false, max: 1, onnotice: () => {} });
    const upstream = await startUpstream({ latencyMs: { median: 2, p99: 5 }, seed: 5 });
    const symbol = `F${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
    try {
      await applyBaseSchema(sql);
      await sql`
        insert into public.market_candles (symbol, timeframe, open_time, open, high, low, close, volume)
        values (${symbol}, 'M5', '2025-03-04T10:00:00Z', 1.1, 1.2, 1.0, 1.15, 10),
               (${symbol}, 'M5', '2025-03-04T10:05:00Z', 1.15, 1.3, 1.1, 1.25, 12)`;
      const jwt = await userJwt(crypto.randomUUID());
      await withApp({
        UPSTREAM_URL: upstream.url,
        UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
        APP_QUOTE_FALLBACK: "last-candle",
      }, async (call) => {
        upstream.setOutages(() => true);
        const quote = (timeframe: string) =>
          call(`market-data/quote?symbol=${symbol}&timeframe=${timeframe}`, {
            headers: { authorization: `Bearer ${jwt}` },
          });
        const fallback = await json(await quote("M5"));
        assert.deepEqual([fallback.status, fallback.headers.get("x-fallback")], [200, "last-candle"]);
        assert.deepEqual(fallback.body, {
          quote: { symbol, timeframe: "M5", time: "2025-03-04T10:05:00.000Z", price: 1.25, open: 1.15 },
          stale: true,
        });
        const noBars = await quote("H1");
        assert.deepEqual([noBars.status, noBars.headers.get("x-fallback")], [502, null]);
        await noBars.body?.cancel();
      });
    } finally {
      upstream.setOutages([]);
      await sql`delete from public.market_candles where symbol = ${symbol}`;
      await upstream.stop();
      await sql.end();
    }
  },
});
