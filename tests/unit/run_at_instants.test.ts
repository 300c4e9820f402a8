import assert from "node:assert/strict";
import { settingClock, wallClock } from "../../shared/clock.ts";
import { runAtInstants } from "../../shared/run_at_instants.ts";

Deno.test("runAtInstants() runs each item at its instant, in time order, not before", async () => {
  const start = Date.now();
  const ran: { name: string; lateMs: number }[] = [];
  await runAtInstants(
    [{ name: "b", atMs: start + 60 }, { name: "a", atMs: start + 20 }, { name: "now", atMs: start - 1_000 }],
    { concurrency: 1, clock: wallClock() },
    (item) => {
      ran.push({ name: item.name, lateMs: Date.now() - Math.max(item.atMs, start) });
      return Promise.resolve();
    },
  );
  assert.deepEqual(ran.map((r) => r.name), ["now", "a", "b"]);
  assert.ok(ran.every((r) => r.lateMs >= 0), JSON.stringify(ran));
});

Deno.test("runAtInstants() keeps at most `concurrency` items running", async () => {
  let running = 0;
  let most = 0;
  const now = Date.now();
  await runAtInstants(
    Array.from({ length: 6 }, () => ({ atMs: now })),
    { concurrency: 2, clock: wallClock() },
    async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
    },
  );
  assert.equal(most, 2);
});

Deno.test("runAtInstants() refuses a concurrency that is not a whole number >= 1", async () => {
  await assert.rejects(
    () => runAtInstants([], { concurrency: 0, clock: wallClock() }, () => Promise.resolve()),
    /concurrency must be an integer >= 1: got 0/,
  );
});

Deno.test("runAtInstants() waits on its clock: a clock minute ahead is a wall-clock second away at 60x", async () => {
  const clock = settingClock({ rate: 60, originRealMs: Date.now(), originAtMs: 0 });
  const started = performance.now();
  let waited = 0;
  await runAtInstants([{ atMs: 60_000 }], { concurrency: 1, clock }, () => {
    waited = performance.now() - started;
    return Promise.resolve();
  });
  assert.ok(waited >= 990 && waited < 3_000, `ran after ${waited} ms`);
});
