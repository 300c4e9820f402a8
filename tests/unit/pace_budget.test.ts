import assert from "node:assert/strict";
import { buys, paceBudget, windowCap } from "../../shared/mod.ts";
import { MINUTE_MS } from "../../shared/time.ts";

Deno.test("paceBudget() buys every ping when the budget covers the hour's candidates", () => {
  const bar = paceBudget([0.9, 0.5, 0.2], 3);
  assert.equal(bar.rank, 0);
  assert.equal(bar.share, 1);
  assert.ok(buys(bar, 0.01, "f"));
});

Deno.test("paceBudget() sets the bar where the budget runs out among the hour ahead's pings", () => {
  const bar = paceBudget([0.2, 0.9, 0.5, 0.7, 0.3], 3);
  assert.deepEqual(bar, { rank: 0.5, share: 1, basis: "the hour ahead's 5 planned now" });
  assert.ok(buys(bar, 0.5, "f"));
  assert.ok(!buys(bar, 0.3, "f"));
});

Deno.test("paceBudget() shares the budget left at the bar among the pings at it", () => {
  const bar = paceBudget([1, 1, 1, 1, 0.5], 2);
  assert.equal(bar.rank, 1);
  assert.equal(bar.share, 0.5);
  const bought = Array.from({ length: 100 }, (_, i) => `fn-${i}`).filter((fn) => buys(bar, 1, fn));
  assert.ok(bought.length >= 40 && bought.length <= 60, `${bought.length} of 100 functions`);
});

Deno.test("buys() gives the pings at the bar to the same functions every time", () => {
  const bar = paceBudget([1, 1, 1, 1], 2);
  const first = ["a", "b", "c", "d"].map((fn) => buys(bar, 1, fn));
  assert.deepEqual(["a", "b", "c", "d"].map((fn) => buys(bar, 1, fn)), first);
});

Deno.test("windowCap() lets a minute take a tenth of the pings the hour has left, at least one", () => {
  assert.equal(windowCap(120, MINUTE_MS, 120), 12);
  assert.equal(windowCap(7, MINUTE_MS, 120), 1);
  // a window cut short by the sender's retirement takes its part
  assert.equal(windowCap(120, 30_000, 120), 6);
  assert.equal(windowCap(0, MINUTE_MS, 120), 0);
});

Deno.test("windowCap() leaves an unpaced budget whole", () => {
  assert.equal(windowCap(50, MINUTE_MS, Infinity), 50);
});

Deno.test("paceBudget() does not pace an unlimited budget", () => {
  const bar = paceBudget([0.9, 0.1], Infinity);
  assert.deepEqual(bar, { rank: 0, share: 1, basis: "not paced" });
});

Deno.test("paceBudget() buys nothing with no budget", () => {
  assert.ok(!buys(paceBudget([0.9], 0), 1, "f"));
});
