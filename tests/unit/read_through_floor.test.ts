import assert from "node:assert/strict";
import { readThroughFloor } from "../../bench/sim/read_through_floor.ts";
import { MINUTE_MS, SECOND_MS } from "../../shared/time.ts";

const quote = (atMs: number, key: string) => ({ atMs, endpoint: "market.quote", key });

Deno.test("readThroughFloor() counts a key's first read and every read more than freshMs after the last one", () => {
  const requests = [
    quote(0, "EURUSD"),
    quote(30 * SECOND_MS, "EURUSD"),
    quote(80 * SECOND_MS, "EURUSD"), // 50 s after the last read: a load then could still be fresh
    quote(200 * SECOND_MS, "EURUSD"), // 120 s after it: nothing loaded in the minute before
    quote(210 * SECOND_MS, "GBPUSD"),
  ];
  const floor = readThroughFloor({
    requests,
    endpoint: "market.quote",
    freshMs: MINUTE_MS,
    durationMs: 5 * MINUTE_MS,
  });
  assert.equal(floor.reads, 5);
  assert.equal(floor.unservable, 3);
  assert.equal(floor.keys, 2);
});

Deno.test("readThroughFloor() counts only the cached endpoint's reads, and every request of the window", () => {
  const requests = [quote(0, "EURUSD"), { atMs: SECOND_MS, endpoint: "robots.list", key: "user:1" }];
  const floor = readThroughFloor({
    requests,
    endpoint: "market.quote",
    freshMs: MINUTE_MS,
    durationMs: MINUTE_MS,
  });
  assert.equal(floor.requests, 2);
  assert.equal(floor.reads, 1);
  assert.equal(floor.unservable, 1);
});

Deno.test("readThroughFloor() charges the refresher a load per freshMs from each key's first read to the end", () => {
  // EURUSD from 0: loads at 0, 1, 2, 3 and 4 minutes; GBPUSD from 4.5 minutes: one load
  const requests = [quote(0, "EURUSD"), quote(4.5 * MINUTE_MS, "GBPUSD")];
  const floor = readThroughFloor({
    requests,
    endpoint: "market.quote",
    freshMs: MINUTE_MS,
    durationMs: 5 * MINUTE_MS,
  });
  assert.equal(floor.refresherCalls, 6);
});

Deno.test("readThroughFloor() refuses a freshness or a window that is not positive", () => {
  assert.throws(
    () => readThroughFloor({ requests: [], endpoint: "market.quote", freshMs: 0, durationMs: MINUTE_MS }),
    /freshMs must be > 0: got 0/,
  );
  assert.throws(
    () => readThroughFloor({ requests: [], endpoint: "market.quote", freshMs: MINUTE_MS, durationMs: -1 }),
    /durationMs must be > 0: got -1/,
  );
});
