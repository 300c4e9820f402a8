import assert from "node:assert/strict";
import { planCacheRefreshes, sendRefreshes } from "../../shared/cache/refresh_ahead.ts";
import type { PlannedRefresh } from "../../shared/cache/plan_refreshes.ts";
import type { RefreshOutcome } from "../../shared/cache/refresh_store.ts";
import { wallClock } from "../../shared/clock.ts";
import { MINUTE_MS } from "../../shared/time.ts";

const now = new Date("2026-03-02T14:30:00Z");

Deno.test("planCacheRefreshes() reads no lookup costs when no entry is due", async () => {
  const asked: string[] = [];
  const plan = await planCacheRefreshes(
    {
      candidates: (_, until) => (asked.push(`candidates until ${until.toISOString()}`), Promise.resolve([])),
      lookupCosts: () => (asked.push("lookupCosts"), Promise.resolve([])),
    },
    now,
    "performance",
  );
  assert.deepEqual(plan, { refreshes: [], skipped: [] });
  assert.deepEqual(asked, ["candidates until 2026-03-02T14:31:02.000Z"], "the window and the lead");
});

Deno.test("planCacheRefreshes() reads the past hour's lookup costs of the due entries' namespaces", async () => {
  const asked: string[] = [];
  const entry = (namespace: string) => ({
    namespace,
    key: "k",
    freshUntilMs: now.getTime() + 10_000,
    ttlMs: MINUTE_MS,
    readMinutes: 10,
    firstStoredAtMs: now.getTime() - 10 * MINUTE_MS,
  });
  const plan = await planCacheRefreshes(
    {
      candidates: () => Promise.resolve([entry("a"), entry("b"), entry("a")]),
      lookupCosts: (namespaces, since) => {
        asked.push(`${namespaces.join(",")} since ${since.toISOString()}`);
        return Promise.resolve(namespaces.map((namespace) => ({ namespace, missMs: 30, hitMs: 2 })));
      },
    },
    now,
    "performance",
  );
  assert.deepEqual(asked, ["a,b since 2026-03-02T13:30:00.000Z"]);
  assert.equal(plan.refreshes.length, 3);
});

Deno.test("sendRefreshes() counts the outcomes, a failure as error, and tells each with its duration", async () => {
  const at = Date.now();
  const refreshes: PlannedRefresh[] = ["a", "b", "c"].map((key) => ({
    namespace: "ns",
    key,
    atMs: at,
    readChance: 0.9,
    expectedMsSaved: 20,
    reason: "test",
  }));
  const outcomes: Record<string, RefreshOutcome> = {
    a: "refreshed",
    b: "gone",
    c: { error: "canceling statement" },
  };
  const told: string[] = [];
  const summary = await sendRefreshes(
    refreshes,
    { refresh: (_, key) => Promise.resolve(outcomes[key]) },
    { concurrency: 2, timeoutMs: 1_000, clock: wallClock() },
    (refresh, outcome, latencyMs) => {
      assert.ok(latencyMs >= 0);
      told.push(`${refresh.key} ${typeof outcome === "string" ? outcome : outcome.error}`);
    },
  );
  assert.deepEqual(summary, { refreshed: 1, gone: 1, error: 1 });
  assert.deepEqual(told.sort(), ["a refreshed", "b gone", "c canceling statement"]);
});

Deno.test("planCacheRefreshes() plans nothing in a window shorter than a second, and reads nothing", async () => {
  const plan = await planCacheRefreshes(
    {
      candidates: () => Promise.reject(new Error("read")),
      lookupCosts: () => Promise.reject(new Error("read")),
    },
    now,
    "performance",
    900,
  );
  assert.deepEqual(plan, { refreshes: [], skipped: [] });
});
