import assert from "node:assert/strict";
import { warmingFloor, warmingFloorMarkdown } from "../../bench/sim/warming_floor.ts";
import { MINUTE_MS, SECOND_MS } from "../../shared/time.ts";

const worker = { idleTimeoutMs: MINUTE_MS, maxLifetimeMs: 2.5 * MINUTE_MS };

/** A request every `everyMs` of `fn` from `fromMs` to before `toMs`. */
function steady(fn: string, everyMs: number, fromMs: number, toMs: number) {
  return Array.from(
    { length: Math.ceil((toMs - fromMs) / everyMs) },
    (_, i) => ({ fn, atMs: fromMs + i * everyMs }),
  );
}

Deno.test("warmingFloor() leaves no cold start after idle gaps: the clairvoyant warmer boots ahead of them", () => {
  const requests = [1, 3, 5, 7].map((minute) => ({ fn: "robots", atMs: minute * MINUTE_MS }));
  const [robots] = warmingFloor({ requests, durationMs: 8 * MINUTE_MS, bootMs: 90, compression: 60, worker });
  assert.equal(robots.withoutWarmer, 4);
  assert.equal(robots.clairvoyant, 0);
  assert.equal(robots.clairvoyantPings, 4);
  assert.equal(robots.floorRatio, 0);
});

Deno.test("warmingFloor() counts the requests that wait for a successor booting at a lifetime's end", () => {
  // a request a second from 10 s to 169 s; at 60x a 90 ms boot lasts 5.4 s of trace time
  const requests = steady("robots", SECOND_MS, 10 * SECOND_MS, 170 * SECOND_MS);
  const [robots] = warmingFloor({ requests, durationMs: 3 * MINUTE_MS, bootMs: 90, compression: 60, worker });
  // without a warmer: the requests at 10 s and 160 s (the lifetime's end) boot, the next 5 of each wait
  assert.equal(robots.withoutWarmer, 12);
  // the clairvoyant warmer boots at 4.6 s, so its worker's lifetime ends at 154.6 s, and the successor it
  // boots then is not ready before 160 s: the requests at 155-159 s wait for it
  assert.equal(robots.clairvoyant, 5);
  assert.equal(robots.clairvoyantPings, 2);
});

Deno.test("warmingFloor() is zero in real time for the same traffic, where a boot lasts 90 ms", () => {
  const requests = steady("robots", SECOND_MS, 10 * SECOND_MS, 170 * SECOND_MS);
  const [robots] = warmingFloor({ requests, durationMs: 3 * MINUTE_MS, bootMs: 90, compression: 1, worker });
  assert.equal(robots.withoutWarmer, 2);
  assert.equal(robots.clairvoyant, 0);
});

Deno.test("warmingFloor() adds up the functions in an `all functions` row", () => {
  const requests = [
    ...steady("robots", SECOND_MS, 0, 160 * SECOND_MS),
    ...steady("chat", MINUTE_MS * 2, 0, 7 * MINUTE_MS),
  ]
    .sort((a, b) => a.atMs - b.atMs);
  const rows = warmingFloor({ requests, durationMs: 7 * MINUTE_MS, bootMs: 90, compression: 60, worker });
  assert.deepEqual(rows.map((r) => r.fn), ["chat", "robots", "all functions"]);
  const all = rows[2];
  assert.equal(all.requests, rows[0].requests + rows[1].requests);
  assert.equal(all.withoutWarmer, rows[0].withoutWarmer + rows[1].withoutWarmer);
  assert.equal(all.clairvoyant, rows[0].clairvoyant + rows[1].clairvoyant);
  assert.equal(all.floorRatio, all.clairvoyant / all.withoutWarmer);
});

Deno.test("warmingFloor() refuses a compression below 1 and a boot that is not positive", () => {
  const base = { requests: [], durationMs: MINUTE_MS, bootMs: 90, compression: 60, worker };
  assert.throws(() => warmingFloor({ ...base, compression: 0.5 }), /compression must be >= 1: got 0.5/);
  assert.throws(() => warmingFloor({ ...base, bootMs: 0 }), /bootMs must be > 0: got 0/);
});

Deno.test("warmingFloorMarkdown() shows each compression's boot in trace time and its floor", () => {
  const requests = steady("robots", SECOND_MS, 10 * SECOND_MS, 170 * SECOND_MS);
  const floors = [60, 1].map((compression) => ({
    compression,
    bootMs: 90,
    rows: warmingFloor({ requests, durationMs: 3 * MINUTE_MS, bootMs: 90, compression, worker }),
  }));
  const text = warmingFloorMarkdown(floors).join("\n");
  assert.match(text, /\| 60x \| 5\.4 s \| 12 \| 5 \| 2 \| 0\.42 \|/);
  assert.match(text, /\| 1x \(real time\) \| 90 ms \| 2 \| 0 \| 2 \| 0\.00 \|/);
});

Deno.test("warmingFloorMarkdown() writes nothing without floors", () => {
  assert.deepEqual(warmingFloorMarkdown([]), []);
});
