import assert from "node:assert/strict";
import {
  type PingLog,
  type PingOutcome,
  pingSenderDefaults,
  type PingSenderOptions,
  sendPings,
  settingClock,
  wallClock,
} from "../../shared/mod.ts";

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
      clock: wallClock(),
      fetch: globalThis.fetch.bind(globalThis),
    }, seen);
  } finally {
    await server.shutdown();
  }
}

const warm = (coldStart: boolean, workerAgeMs: number) =>
  Response.json({ warm: true, coldStart, workerAgeMs });

/** A log in memory: what was stored by ping id, and each function's last request as the metric store has it. */
function memoryLog(lastRequests: Record<string, Date> = {}) {
  const outcomes = new Map<string, PingOutcome>();
  const dropped = new Map<string, string>();
  const log: PingLog = {
    recordOutcome: (id, outcome) => Promise.resolve(void outcomes.set(id, outcome)),
    recordDropped: (id, reason) => Promise.resolve(void dropped.set(id, reason)),
    lastRequestAfter: (fn, since) => Promise.resolve(lastRequests[fn] > since ? lastRequests[fn] : null),
  };
  return { log, outcomes, dropped };
}

/** A ping that no request drops. */
const ping = (id: string, fn: string, atMs: number) => ({ id, fn, atMs, droppedAfterRequestSinceMs: null });

Deno.test("sendPings() sends each ping at its instant and records what the worker said", async () => {
  await withFunctions(() => warm(true, 12), async (options, seen) => {
    const start = Date.now();
    const { log, outcomes } = memoryLog();
    const summary = await sendPings(
      [ping("2", "status", start + 300), ping("1", "metrics", start + 100)],
      options,
      log,
    );
    assert.deepEqual(summary, {
      sent: 2,
      failed: 0,
      dropped: 0,
      coldStarts: 2,
      unrecorded: 0,
      lastRecordError: null,
    });
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

Deno.test("sendPings() times pings and stores their durations on its clock", async () => {
  await withFunctions(async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return warm(false, 500);
  }, async (options) => {
    const clock = settingClock({ rate: 60, originRealMs: Date.now(), originAtMs: 1_000_000 });
    const { log, outcomes } = memoryLog();
    const atMs = clock.now() + 30_000;
    await sendPings([ping("1", "f", atMs)], { ...options, clock }, log);
    const outcome = outcomes.get("1")!;
    assert.ok(outcome.sentAt.getTime() >= atMs, "sent at its instant on the clock");
    assert.ok(
      outcome.latencyMs >= 100 * 60 && outcome.latencyMs < 1_000 * 60,
      `latency ${outcome.latencyMs}`,
    );
    assert.equal(outcome.workerAgeMs, 500 * 60, "the worker's wall-clock age, on the clock");
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
    const pings = Array.from({ length: 8 }, (_, k) => ping(String(k), `f${k}`, Date.now()));
    const summary = await sendPings(pings, { ...options, concurrency: 2 }, memoryLog().log);
    assert.equal(summary.sent, 8);
    assert.equal(most, 2);
  });
});

Deno.test("sendPings() records a ping that is not answered in time as failed, with the reason", async () => {
  await withFunctions(
    () => new Promise((resolve) => setTimeout(() => resolve(warm(false, 1)), 500)),
    async (options) => {
      const { log, outcomes } = memoryLog();
      const summary = await sendPings([ping("1", "slow", Date.now())], { ...options, timeoutMs: 100 }, log);
      assert.equal(summary.failed, 1);
      assert.equal(outcomes.get("1")?.status, null);
      assert.equal(outcomes.get("1")?.error, "no answer within 100 ms");
    },
  );
});

Deno.test("sendPings() records an answer that is not a warm-up answer as failed", async () => {
  await withFunctions(() => new Response("not found", { status: 404 }), async (options) => {
    const { log, outcomes } = memoryLog();
    await sendPings([ping("1", "gone", Date.now())], options, log);
    assert.equal(outcomes.get("1")?.status, 404);
    assert.equal(outcomes.get("1")?.error, "not a warm-up answer: 404 not found");
  });
});

Deno.test("sendPings() goes on when an outcome cannot be stored, and counts it", async () => {
  await withFunctions(() => warm(false, 5), async (options) => {
    const now = Date.now();
    const unavailable = () => Promise.reject(new Error("database unavailable"));
    const summary = await sendPings(
      [ping("1", "a", now), ping("2", "b", now)],
      { ...options, concurrency: 1 },
      {
        recordOutcome: unavailable,
        recordDropped: unavailable,
        lastRequestAfter: () => Promise.resolve(null),
      },
    );
    assert.deepEqual(summary, {
      sent: 2,
      failed: 0,
      dropped: 0,
      coldStarts: 0,
      unrecorded: 2,
      lastRecordError: "database unavailable",
    });
  });
});

Deno.test("sendPings() drops a refresh when the function had a request after the plan, and says which", async () => {
  await withFunctions(() => warm(false, 5), async (options, seen) => {
    const planned = Date.now();
    const request = new Date(planned + 5);
    const { log, outcomes, dropped } = memoryLog({ "robot-chat": request });
    const summary = await sendPings(
      [{ id: "7", fn: "robot-chat", atMs: planned + 20, droppedAfterRequestSinceMs: planned }],
      options,
      log,
    );
    assert.equal(summary.dropped, 1);
    assert.equal(summary.sent, 0);
    assert.deepEqual(seen, []);
    assert.equal(outcomes.size, 0);
    assert.equal(
      dropped.get("7"),
      `a request at ${request.toISOString()}, after those the plan knew of, reached the worker first`,
    );
  });
});

Deno.test("sendPings() sends a refresh when the function's last request came before the plan", async () => {
  await withFunctions(() => warm(false, 5), async (options, seen) => {
    const planned = Date.now();
    const { log, dropped } = memoryLog({ "robot-chat": new Date(planned - 1_000) });
    const summary = await sendPings(
      [{ id: "7", fn: "robot-chat", atMs: planned + 20, droppedAfterRequestSinceMs: planned }],
      options,
      log,
    );
    assert.equal(summary.sent, 1);
    assert.deepEqual(seen.map((s) => s.fn), ["robot-chat"]);
    assert.equal(dropped.size, 0);
  });
});

Deno.test("sendPings() sends a successor whatever requests came, since traffic cannot keep a worker past its lifetime", async () => {
  await withFunctions(() => warm(true, 0), async (options, seen) => {
    const planned = Date.now();
    const { log } = memoryLog({ robots: new Date(planned + 5) });
    const summary = await sendPings([ping("8", "robots", planned + 20)], options, log);
    assert.equal(summary.sent, 1);
    assert.equal(seen.length, 1);
  });
});

Deno.test("sendPings() sends a ping whose request lookup fails, and counts the failure", async () => {
  await withFunctions(() => warm(false, 5), async (options, seen) => {
    const planned = Date.now();
    const { log } = memoryLog();
    const summary = await sendPings(
      [{ id: "7", fn: "robot-chat", atMs: planned, droppedAfterRequestSinceMs: planned }],
      options,
      { ...log, lastRequestAfter: () => Promise.reject(new Error("statement timeout")) },
    );
    assert.equal(summary.sent, 1);
    assert.equal(seen.length, 1);
    assert.equal(summary.unrecorded, 1);
    assert.equal(summary.lastRecordError, "statement timeout");
  });
});
