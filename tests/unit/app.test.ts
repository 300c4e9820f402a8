import assert from "node:assert/strict";
import { z } from "zod";
import { type Authenticator, createAuthenticator, requireAuth } from "../../shared/http/auth.ts";
import {
  createFunctionApp,
  type FunctionAppOptions,
  jsonBody,
  limitBody,
  query,
} from "../../shared/http/app.ts";
import type { MetricEvent } from "../../shared/metrics/metric_event.ts";
import type { MetricReporter } from "../../shared/metrics/metric_reporter.ts";

/** Accepts `apikey: secret` as the secret role and `apikey: publishable` as the publishable role. */
const fakeAuthenticator: Authenticator = {
  authenticate(headers, allowed) {
    const key = headers.get("apikey");
    if (!key) return Promise.resolve({ ok: false, status: 401, error: "missing credentials" });
    const mode = key === "secret" ? "secret" : "publishable";
    return Promise.resolve(
      allowed.includes(mode)
        ? { ok: true, auth: { mode, keyName: "default" } }
        : { ok: false, status: 403, error: `needs ${allowed.join(" or ")}` },
    );
  },
};

function recordingReporter(): MetricReporter & { events: MetricEvent[] } {
  const events: MetricEvent[] = [];
  return {
    events,
    record: (event) => void events.push(event),
    flush: () => Promise.resolve(),
    settled: () => Promise.resolve(),
    counters: () => ({ sent: 0, dropped: 0, failed: 0, buffered: events.length }),
  };
}

function testApp(overrides: Partial<FunctionAppOptions> = {}) {
  const logged: Record<string, unknown>[] = [];
  const reporter = recordingReporter();
  const app = createFunctionApp({
    name: "things",
    authenticator: fakeAuthenticator,
    reporter,
    log: (entry) => void logged.push(entry),
    ...overrides,
  });
  const Body = z.strictObject({ items: z.array(z.strictObject({ size: z.number().min(0) })).min(1) });
  app.post("/", requireAuth("secret"), limitBody(100), jsonBody(Body), (c) => {
    return c.json({ got: c.req.valid("json").items.length }, 202);
  });
  app.get(
    "/",
    requireAuth("secret", "publishable"),
    query(z.strictObject({ n: z.coerce.number().int().optional() })),
    (c) => c.json({ n: c.req.valid("query").n ?? null, mode: c.get("auth").mode }),
  );
  app.get("/boom", () => {
    throw new Error("database password is hunter2");
  });
  app.get("/db-down", () => {
    throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6543"), { code: "ECONNREFUSED" });
  });
  return { app, logged, reporter };
}

const secret = { apikey: "secret" };

Deno.test("createFunctionApp() answers under /<name>, /functions/v1/<name> and the bare path", async () => {
  const { app } = testApp();
  for (const path of ["/things", "/things/", "/functions/v1/things", "/", "/things?n=3"]) {
    const response = await app.request(path, { headers: secret });
    assert.equal(response.status, 200, path);
    await response.body?.cancel();
  }
});

Deno.test("createFunctionApp() echoes a given x-request-id and generates one when absent", async () => {
  const { app } = testApp();
  const echoed = await app.request("/things", { headers: { ...secret, "x-request-id": "req-123" } });
  assert.equal(echoed.headers.get("x-request-id"), "req-123");
  await echoed.body?.cancel();
  const generated = await app.request("/things/nowhere");
  const id = generated.headers.get("x-request-id");
  assert.match(id ?? "", /^[0-9a-f-]{36}$/);
  assert.equal((await generated.json()).requestId, id);
});

Deno.test("createFunctionApp() answers 400 listing every bad field by path", async () => {
  const { app } = testApp();
  const response = await app.request("/things", {
    method: "POST",
    headers: { ...secret, "content-type": "application/json" },
    body: JSON.stringify({ items: [{ size: 1 }, { size: -1 }, { size: 2, color: "red" }] }),
  });
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.deepEqual(body.issues.map((issue: { path: string }) => issue.path), ["items[1].size", "items[2]"]);
  assert.match(body.issues[1].message, /color/);
});

Deno.test("createFunctionApp() answers 400 for malformed JSON and 415 for another content type", async () => {
  const { app } = testApp();
  const malformed = await app.request("/things", {
    method: "POST",
    headers: { ...secret, "content-type": "application/json" },
    body: "{ not json",
  });
  assert.equal(malformed.status, 400);
  assert.match((await malformed.json()).error, /malformed JSON/i);
  const text = await app.request("/things", {
    method: "POST",
    headers: { ...secret, "content-type": "text/plain" },
    body: "{}",
  });
  assert.equal(text.status, 415);
  assert.match((await text.json()).error, /Content-Type must be application\/json/);
});

Deno.test("limitBody() answers 413 with JSON for a body over the limit, with or without Content-Length", async () => {
  const { app } = testApp();
  const big = JSON.stringify({ items: Array.from({ length: 40 }, () => ({ size: 1 })) });
  const declared = await app.request("/things", {
    method: "POST",
    headers: { ...secret, "content-type": "application/json", "content-length": String(big.length) },
    body: big,
  });
  assert.equal(declared.status, 413);
  assert.match((await declared.json()).error, /larger than 100 bytes/);
  const streamed = await app.request("/things", {
    method: "POST",
    headers: { ...secret, "content-type": "application/json" },
    body: new Blob([big]).stream(),
  });
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
});

Deno.test("createFunctionApp() answers JSON 404 for unknown paths and 405 with Allow for wrong methods", async () => {
  const { app } = testApp();
  const missing = await app.request("/things/nope", { headers: secret });
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /no route GET \/nope in function things/);
  const wrongMethod = await app.request("/things", { method: "DELETE", headers: secret });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "POST, GET, HEAD");
  assert.match((await wrongMethod.json()).error, /method DELETE is not allowed/);
});

Deno.test("createFunctionApp() answers 500 without internals and logs the error server-side", async () => {
  const { app, logged } = testApp();
  const response = await app.request("/things/boom", { headers: { "x-request-id": "r-500" } });
  assert.equal(response.status, 500);
  const text = await response.text();
  assert.doesNotMatch(text, /hunter2|at |\.ts/);
  assert.deepEqual(JSON.parse(text), {
    error: "internal error: the function logged the details under this requestId",
    requestId: "r-500",
  });
  assert.equal(logged.length, 1);
  assert.equal(logged[0].requestId, "r-500");
  assert.match(String(logged[0].error), /hunter2/);
});

Deno.test("createFunctionApp() answers 503 with Retry-After when the database is unreachable", async () => {
  const { app, logged } = testApp();
  const response = await app.request("/things/db-down");
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "5");
  assert.match((await response.json()).error, /database is unavailable.*retry/);
  assert.equal(logged.length, 1, "the cause is still logged");
});

Deno.test("createFunctionApp() answers warm-ups at once, without credentials, and counts cold starts", async () => {
  const { app, reporter } = testApp();
  const first = await app.request("/things/boom", { headers: { "x-warmup": "1" } });
  assert.equal(first.status, 200);
  const withoutAge = async (response: Response) => {
    const { workerAgeMs, ...rest } = await response.json();
    assert.equal(typeof workerAgeMs, "number");
    return rest;
  };
  assert.deepEqual(await withoutAge(first), { warm: true, coldStart: true });
  const second = await app.request("/things?warmup=1", { method: "POST" });
  assert.deepEqual(await withoutAge(second), { warm: true, coldStart: false });
  assert.equal(reporter.events.length, 0, "pings are counted in memory, not reported one by one");
  globalThis.dispatchEvent(new Event("beforeunload"));
  assert.deepEqual(reporter.events.map((e) => [e.kind, e.coldStart, e.count]), [
    ["warm_ping", true, 1],
    ["warm_ping", false, 1],
  ]);
});

Deno.test("createFunctionApp() answers a warm-up ping once prepareOnWarmup has run, without credentials", async () => {
  const log: string[] = [];
  const { app } = testApp({
    prepareOnWarmup: () =>
      new Promise<void>((resolve) => setTimeout(() => (log.push("prepared"), resolve()), 20)),
  });
  const response = await app.request("/things", { headers: { "x-warmup": "1" } });
  log.push("answered");
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.deepEqual(log, ["prepared", "answered"]);
});

Deno.test("createFunctionApp() counts 401, 404 and 405 answers per minute instead of one event each", async () => {
  const { app, reporter } = testApp({ now: () => new Date("2025-06-01T10:20:30Z") });
  for (let i = 0; i < 50; i++) await (await app.request("/things", { method: "POST" })).body?.cancel();
  for (let i = 0; i < 7; i++) await (await app.request("/things/nowhere")).body?.cancel();
  await (await app.request("/things", { method: "DELETE" })).body?.cancel();
  await (await app.request("/things", { headers: secret })).body?.cancel();
  assert.deepEqual(reporter.events.map((e) => [e.kind, e.attrs?.status]), [["request", 200]]);
  globalThis.dispatchEvent(new Event("beforeunload"));
  assert.deepEqual(
    reporter.events.slice(1).map((e) => [e.occurredAt, e.kind, e.attrs?.status, e.count, e.coldStart]),
    [
      ["2025-06-01T10:20:00.000Z", "rejected", 401, 1, true],
      ["2025-06-01T10:20:00.000Z", "rejected", 401, 49, false],
      ["2025-06-01T10:20:00.000Z", "rejected", 404, 7, false],
      ["2025-06-01T10:20:00.000Z", "rejected", 405, 1, false],
    ],
  );
});

Deno.test("requireAuth() answers 401 without credentials and 403 for a role the route does not allow", async () => {
  const { app } = testApp();
  const none = await app.request("/things", { method: "POST" });
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error, "missing credentials");
  const publishable = await app.request("/things", { method: "POST", headers: { apikey: "publishable" } });
  assert.equal(publishable.status, 403);
  await publishable.body?.cancel();
  const allowed = await app.request("/things", { headers: { apikey: "publishable" } });
  assert.deepEqual(await allowed.json(), { n: null, mode: "publishable" });
});

Deno.test("createFunctionApp() reports each request's latency, cold start and 5xx as an edge event", async () => {
  let tick = 0;
  const { app, reporter } = testApp({
    clock: () => (tick += 5),
    now: () => new Date("2025-06-01T00:00:00Z"),
  });
  await (await app.request("/things", { headers: secret })).body?.cancel();
  await (await app.request("/things/boom")).body?.cancel();
  assert.deepEqual(reporter.events, [
    {
      occurredAt: "2025-06-01T00:00:00.000Z",
      system: "edge",
      target: "things",
      kind: "request",
      latencyMs: 5,
      error: false,
      coldStart: true,
      attrs: { method: "GET", status: 200 },
    },
    {
      occurredAt: "2025-06-01T00:00:00.000Z",
      system: "edge",
      target: "things",
      kind: "request",
      latencyMs: 5,
      error: true,
      coldStart: false,
      attrs: { method: "GET", status: 500 },
    },
  ]);
});

Deno.test("createFunctionApp() hands the reporter's pending work to waitUntil instead of awaiting it", async () => {
  const pending: Promise<unknown>[] = [];
  let release: () => void = () => {};
  const reporter = {
    ...recordingReporter(),
    settled: () => new Promise<void>((resolve) => (release = resolve)),
  };
  const { app } = testApp({ reporter, waitUntil: (promise) => void pending.push(promise) });
  const response = await app.request("/things", { headers: secret });
  assert.equal(response.status, 200);
  assert.equal(pending.length, 1);
  release();
  await Promise.all(pending);
  await response.body?.cancel();
});

Deno.test("createFunctionApp() answers CORS preflights for browser callers", async () => {
  const { app } = testApp();
  const response = await app.request("/things", {
    method: "OPTIONS",
    headers: { origin: "https://app.example", "access-control-request-method": "POST" },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.match(response.headers.get("access-control-allow-headers") ?? "", /apikey/);
});

Deno.test("createFunctionApp() answers 503 with Retry-After when the JWKS URL cannot be reached", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const jwksUrl = `http://127.0.0.1:${closed.addr.port}/auth/v1/.well-known/jwks.json`;
  closed.close();
  const { app, logged } = testApp({
    authenticator: createAuthenticator({ env: { publishableKeys: {}, secretKeys: {}, jwksUrl } }),
  });
  app.get("/mine", requireAuth("user"), (c) => c.json({ user: c.get("auth").userId }));
  const header = btoa(JSON.stringify({ alg: "ES256", kid: "k1", typ: "JWT" })).replace(/=+$/, "");
  const payload = btoa(JSON.stringify({ sub: "u1", exp: 4_000_000_000 })).replace(/=+$/, "");
  const response = await app.request("/things/mine", {
    headers: { authorization: `Bearer ${header}.${payload}.c2lnbmF0dXJl` },
  });
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "5");
  assert.match((await response.json()).error, /signing keys could not be fetched.*retry/);
  assert.equal(logged.length, 1, "the cause is logged");
});
