import assert from "node:assert/strict";
import {
  type NamespaceLookupCosts,
  planRefreshes,
  readChance,
  type RefreshCandidate,
} from "../../shared/cache/plan_refreshes.ts";
import { MINUTE_MS } from "../../shared/time.ts";

const now = Date.parse("2026-03-02T14:30:00Z");
const costs: NamespaceLookupCosts[] = [{ namespace: "market.candles", missMs: 42, hitMs: 2 }];

/** An entry of market.candles first stored `ageMinutes` ago, read in `readMinutes` of them. */
function entry(key: string, readMinutes: number, ageMinutes: number, freshInMs = 30_000): RefreshCandidate {
  return {
    namespace: "market.candles",
    key,
    freshUntilMs: now + freshInMs,
    ttlMs: MINUTE_MS,
    readMinutes,
    firstStoredAtMs: now - ageMinutes * MINUTE_MS,
  };
}

Deno.test("readChance() counts a value read once in its first minute as even odds", () => {
  assert.equal(readChance(entry("k", 1, 0), now), 0.5);
});

Deno.test("readChance() grows with the TTL the reloaded value lives", () => {
  const oneMinute = readChance(entry("k", 3, 9), now);
  const tenMinutes = readChance({ ...entry("k", 3, 9), ttlMs: 10 * MINUTE_MS }, now);
  assert.ok(tenMinutes > oneMinute, `${tenMinutes} > ${oneMinute}`);
});

Deno.test("planRefreshes() reloads an entry read every minute leadMs before its freshness ends", () => {
  const plan = planRefreshes([entry("AAPL:1m", 20, 20)], costs, now, "performance", { leadMs: 2_000 });
  assert.equal(plan.refreshes.length, 1);
  const [refresh] = plan.refreshes;
  assert.equal(refresh.atMs, now + 28_000);
  assert.ok(refresh.readChance > 0.9);
  assert.ok(Math.abs(refresh.expectedMsSaved - refresh.readChance * 40) < 1e-9, "chance × (miss − hit)");
  assert.match(refresh.reason, /saving 40 ms \(miss 42 ms, hit 2 ms\)/);
});

Deno.test("planRefreshes() reloads at once an entry whose lead has already begun", () => {
  const plan = planRefreshes([entry("AAPL:1m", 20, 20, 500)], costs, now, "performance");
  assert.equal(plan.refreshes[0].atMs, now);
});

Deno.test("planRefreshes() leaves for a later run an entry whose reload falls after the window", () => {
  const plan = planRefreshes([entry("AAPL:1m", 20, 20, 5 * MINUTE_MS)], costs, now, "performance");
  assert.deepEqual(plan, { refreshes: [], skipped: [] });
});

Deno.test("planRefreshes() leaves alone an entry rarely read, naming the priority's threshold", () => {
  const plan = planRefreshes([entry("MSFT:1d", 1, 30)], costs, now, "performance");
  assert.equal(plan.refreshes.length, 0);
  assert.match(plan.skipped[0].reason, /read chance 3 % while fresh is below 25 % \(priority performance\)/);
});

Deno.test("planRefreshes() reloads at performance what it leaves alone at cost", () => {
  const sometimes = entry("TSLA:5m", 6, 9); // read in 6 of 10 minutes
  assert.equal(planRefreshes([sometimes], costs, now, "performance").refreshes.length, 1);
  const atCost = planRefreshes([sometimes], costs, now, "cost");
  assert.equal(atCost.refreshes.length, 0);
  assert.match(atCost.skipped[0].reason, /below 75 % \(priority cost\)/);
});

Deno.test("planRefreshes() leaves alone a namespace whose misses were not measured", () => {
  const plan = planRefreshes(
    [entry("AAPL:1m", 20, 20)],
    [{ namespace: "market.candles", missMs: null, hitMs: 2 }],
    now,
    "performance",
  );
  assert.equal(plan.refreshes.length, 0);
  assert.equal(plan.skipped[0].reason, "no measured miss in market.candles: its saving would be a guess");
});

Deno.test("planRefreshes() leaves alone a namespace no lookup was measured in", () => {
  const plan = planRefreshes([{ ...entry("k", 20, 20), namespace: "robots.get" }], costs, now, "performance");
  assert.equal(plan.skipped[0].reason, "no measured miss in robots.get: its saving would be a guess");
});

Deno.test("planRefreshes() keeps the most valuable reloads within maxRefreshes, in time order", () => {
  const plan = planRefreshes(
    [entry("rare", 4, 9, 10_000), entry("hot", 20, 20, 40_000), entry("warm", 8, 9, 20_000)],
    costs,
    now,
    "performance",
    { maxRefreshes: 2 },
  );
  assert.deepEqual(plan.refreshes.map((r) => r.key), ["warm", "hot"]);
  assert.equal(plan.skipped.length, 1);
  assert.equal(plan.skipped[0].key, "rare");
  assert.match(plan.skipped[0].reason, /over the window's 2 reloads/);
});

Deno.test("planRefreshes() refuses an option out of bounds, naming it", () => {
  assert.throws(
    () => planRefreshes([], costs, now, "performance", { maxRefreshes: -1 }),
    /maxRefreshes must be >= 0: got -1/,
  );
});
