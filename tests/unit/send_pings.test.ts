import assert from "node:assert/strict";
import { type PingOutcome, pingSenderDefaults, type PingSenderOptions, sendPings } from "../../shared/mod.ts";

/** A real HTTP server standing in for the project's functions: answers warm-ups as shared/http/warmup.ts does. */
async function withFunctions(
  handle: (fn: string, request: Request) => Response | Promise<Response>,
  body: (options: PingSenderOptions, seen: { fn: string; at: number; headers: Headers }[]) => Promise<void>,
) {
  const seen: { fn: string; at: number; headers: Headers }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    const fn = new URL(request.url).pathname.replace("/functions/v1/", "");
    seen.push({ fn, at: Date.now(), headers: request.headers });
    return handle(fn, request);
  });
  try {
    await body({
      ...pingSenderDefaults,
      baseUrl: `http://127.0.0.1:${server.addr.port}/`,
      headers: { apikey: "anon" },
      now: Date.now,
      fetch: globalThis.fetch.bind(globalThis),
    }, seen);
  } finally {
    await server.shutdown();
  }
}

const warm = (coldStart: boolean, workerAgeMs: number) =>
  Response.json({ warm: true, coldStart, workerAgeMs });

Deno.test("sendPings() sends each ping at its instant and records what the worker said", async () => {
  await withFunctions(() => warm(true, 12), async (options, seen) => {
    const start = Date.now();
    const outcomes = new Map<string, PingOutcome>();
    const summary = await sendPings(
      [{ id: "2", fn: "status", atMs: start + 300 }, { id: "1", fn: "metrics", atMs: start + 100 }],
      options,
      (id, outcome) => Promise.resolve(void outcomes.set(id, outcome)),
    );
    assert.deepEqual(summary, { sent: 2, failed: 0, coldStarts: 2, unrecorded: 0, lastRecordError: null });
    assert.deepEqual(seen.map((s) => s.fn), ["metrics", "status"]);
    assert.ok(seen[0].at >= start + 100 && seen[1].at >= start + 300, "no ping goes before its instant");
    assert.equal(seen[0].headers.get("x-warmup"), "1");
    assert.equal(seen[0].headers.get("apikey"), "anon");
    assert.deepEqual({ ...outcomes.get("1"), sentAt: null, latencyMs: null }, {
      sentAt: null,
      latencyMs: null,
      status: 200,
      coldStart: true,
      workerAgeMs: 12,
      error: null,
    });
  });
});

Deno.test("sendPings() keeps at most `concurrency` pings in flight", async () => {
  let inFlight = 0;
  let most = 0;
  await withFunctions(async () => {
    most = Math.max(most, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 50));
    inFlight--;
    return warm(false, 1_000);
  }, async (options) => {
    const pings = Array.from({ length: 8 }, (_, k) => ({ id: String(k), fn: `f${k}`, atMs: Date.now() }));
    const summary = await sendPings(pings, { ...options, concurrency: 2 }, () => Promise.resolve());
    assert.equal(summary.sent, 8);
    assert.equal(most, 2);
  });
});

Deno.test("sendPings() records a ping that is not answered in time as failed, with the reason", async () => {
  await withFunctions(
    () => new Promise((resolve) => setTimeout(() => resolve(warm(false, 1)), 500)),
    async (options) => {
      const outcomes: PingOutcome[] = [];
      const summary = await sendPings(
        [{ id: "1", fn: "slow", atMs: Date.now() }],
        { ...options, timeoutMs: 100 },
        (_, outcome) => Promise.resolve(void outcomes.push(outcome)),
      );
      assert.equal(summary.failed, 1);
      assert.equal(outcomes[0].status, null);
      assert.equal(outcomes[0].error, "no answer within 100 ms");
    },
  );
});

Deno.test("sendPings() records an answer that is not a warm-up answer as failed", async () => {
  await withFunctions(() => new Response("not found", { status: 404 }), async (options) => {
    const outcomes: PingOutcome[] = [];
    await sendPings(
      [{ id: "1", fn: "gone", atMs: Date.now() }],
      options,
      (_, o) => Promise.resolve(void outcomes.push(o)),
    );
    assert.equal(outcomes[0].status, 404);
    assert.equal(outcomes[0].error, "not a warm-up answer: 404 not found");
  });
});

Deno.test("sendPings() goes on when an outcome cannot be stored, and counts it", async () => {
  await withFunctions(() => warm(false, 5), async (options) => {
    const now = Date.now();
    const summary = await sendPings(
      [{ id: "1", fn: "a", atMs: now }, { id: "2", fn: "b", atMs: now }],
      { ...options, concurrency: 1 },
      () => Promise.reject(new Error("database unavailable")),
    );
    assert.deepEqual(summary, {
      sent: 2,
      failed: 0,
      coldStarts: 0,
      unrecorded: 2,
      lastRecordError: "database unavailable",
    });
  });
});
