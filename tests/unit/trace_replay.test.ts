import assert from "node:assert/strict";
import { compressedDuration, replayTrace, sliceTrace } from "../../bench/trace/replay.ts";
import type { Trace, TraceRequest } from "../../bench/trace/trace.ts";

/** Virtual time: sleep() registers a timer, run() fires timers in time order once all pending work has settled. */
class FakeClock {
  time = 0;
  #timers: { at: number; seq: number; resolve: () => void }[] = [];
  #seq = 0;
  now = () => this.time;
  sleep = (ms: number) =>
    new Promise<void>((resolve) =>
      this.#timers.push({ at: this.time + Math.max(0, ms), seq: this.#seq++, resolve })
    );

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.finally(() => settled = true).catch(() => {});
    while (true) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (settled) return work;
      if (this.#timers.length === 0) throw new Error("replay waits on nothing the fake clock controls");
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const timer = this.#timers.shift()!;
      this.time = Math.max(this.time, timer.at);
      timer.resolve();
    }
  }
}

function request(atMs: number): TraceRequest {
  return { atMs, endpoint: "robots.health", fn: "robots", userIndex: 0, key: "u0:robots.health", params: {} };
}

function trace(atMs: number[], durationMs = 3_600_000): Trace {
  return {
    seed: 1,
    startIso: "2025-03-03T00:00:00.000Z",
    durationMs,
    requests: atMs.map(request),
    outages: [],
  };
}

Deno.test("each request is sent at its own compressed time, while earlier ones are still running", async () => {
  const clock = new FakeClock();
  const sentAt: number[] = [];
  const report = await clock.run(replayTrace(trace([0, 60_000, 120_000, 600_000]), {
    compression: 60,
    now: clock.now,
    sleep: clock.sleep,
    send: async () => {
      sentAt.push(clock.time);
      await clock.sleep(5_000); // much slower than the 1 s between arrivals
      return 200;
    },
  }));
  assert.deepEqual(sentAt, [0, 1000, 2000, 10_000]);
  assert.equal(report.maxInFlightSeen, 3);
  assert.equal(report.completed, 4);
  assert.equal(report.late, 0);
  assert.equal(report.elapsedMs, 15_000);
});

Deno.test("latency runs from the scheduled time: a request queued behind a slow one includes its wait", async () => {
  const clock = new FakeClock();
  const report = await clock.run(replayTrace(trace([0, 1_000]), {
    compression: 1,
    maxInFlight: 1,
    whenFull: "queue",
    now: clock.now,
    sleep: clock.sleep,
    send: () => clock.sleep(3_000).then(() => "ok"),
  }));
  const [first, second] = report.records;
  assert.equal(first.latencyMs, 3_000);
  assert.equal(second.scheduledMs, 1_000);
  assert.equal(second.sentMs, 3_000);
  assert.equal(second.sendLagMs, 2_000);
  assert.equal(second.serviceMs, 3_000);
  assert.equal(second.latencyMs, 5_000); // not 3 000: the user has waited since 1 000
  assert.equal(report.queued, 1);
  assert.equal(report.late, 1);
  assert.equal(report.maxSendLagMs, 2_000);
});

Deno.test("at the in-flight cap due requests are dropped and counted, not silently delayed", async () => {
  const clock = new FakeClock();
  const report = await clock.run(replayTrace(trace([0, 10, 20, 30, 5_000]), {
    compression: 1,
    maxInFlight: 2,
    now: clock.now,
    sleep: clock.sleep,
    send: () => clock.sleep(1_000),
  }));
  assert.deepEqual(report.records.map((r) => r.outcome), [
    "resolved",
    "resolved",
    "dropped",
    "dropped",
    "resolved",
  ]);
  assert.equal(report.dropped, 2);
  assert.equal(report.records[2].latencyMs, null);
  assert.equal(report.records[4].sentMs, 5_000);
});

Deno.test("a rejected send is a failed request with its error kept, and progress is reported", async () => {
  const clock = new FakeClock();
  const seen: number[] = [];
  const report = await clock.run(replayTrace(trace([0, 2_500]), {
    compression: 1,
    progressIntervalMs: 1_000,
    onProgress: (p) => seen.push(p.dispatched),
    now: clock.now,
    sleep: clock.sleep,
    send: (_request, index) =>
      index === 1 ? Promise.reject(new Error("503 boot timeout")) : Promise.resolve(1),
  }));
  assert.equal(report.failed, 1);
  assert.equal(report.records[1].outcome, "rejected");
  assert.equal(report.records[1].error, "503 boot timeout");
  assert.ok(seen.length >= 3, `progress reported during the wait: ${seen}`);
  assert.equal(seen.at(-1), 2);
});

Deno.test("options that cannot replay fail before anything is sent", async () => {
  const send = () => Promise.resolve();
  await assert.rejects(replayTrace(trace([0]), { send, compression: 0 }), /compression must be a number > 0/);
  await assert.rejects(
    replayTrace(trace([0]), { send, maxInFlight: 0 }),
    /maxInFlight must be an integer >= 1: got 0/,
  );
});

Deno.test("a slice keeps the window's requests and outages, re-based to start at 0", () => {
  const full: Trace = {
    ...trace([0, 1_000, 2_000, 3_000], 4_000),
    outages: [{ startMs: 500, endMs: 2_500 }],
  };
  const slice = sliceTrace(full, 1_000, 3_000);
  assert.deepEqual(slice.requests.map((r) => r.atMs), [0, 1_000]);
  assert.deepEqual(slice.outages, [{ startMs: 0, endMs: 1_500 }]);
  assert.equal(slice.durationMs, 2_000);
  assert.equal(slice.startIso, "2025-03-03T00:00:01.000Z");
  assert.throws(() => sliceTrace(full, 3_000, 5_000), /toMs <= durationMs \(4000\)/);
});

Deno.test("a trace hour replays in one real minute at compression 60", () => {
  assert.equal(compressedDuration(trace([], 3_600_000), 60), 60_000);
  assert.equal(compressedDuration(86_400_000, 288), 300_000);
});
