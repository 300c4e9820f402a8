import assert from "node:assert/strict";
import { durationModel, indexKeys, moduleOf } from "../../shared/mod.ts";
import { buildCandidate, configCandidate, dropCandidate } from "../support/system_fixtures.ts";

Deno.test("moduleOf() gives breaker rules to breakers, buffer loads to predictive and other findings to their system's module", () => {
  assert.equal(moduleOf({ rule: "resilience.breaker-settings", system: "edge" }), "breakers");
  assert.equal(moduleOf({ rule: "predictive.buffer-prewarm", system: "db" }), "predictive");
  assert.equal(moduleOf({ rule: "index.suggest", system: "db" }), "recommendations");
  assert.equal(moduleOf({ rule: "edge.cold-start-rate", system: "edge" }), "warmer");
  assert.equal(moduleOf({ rule: "cache.evictions-over-budget", system: "cache" }), "cache");
  assert.equal(moduleOf({ rule: "correlate.buffer-dips", system: "overall" }), null);
});

Deno.test("toCandidate() states a build's saving as a share of the workload's database time", () => {
  const candidate = buildCandidate("1", ["user_id"], 5_000);
  assert.equal(candidate.performancePercent, 5);
});

Deno.test("toCandidate() reads a build's write penalty from its finding's net saving", () => {
  const candidate = buildCandidate("1", ["user_id"], 5_000, { netMs: 4_000 });
  assert.equal(candidate.costs.writePercent, 1);
});

Deno.test("toCandidate() states no gain share when the workload's time is unknown", () => {
  const candidate = buildCandidate("1", ["user_id"], 5_000, { facts: { workloadMs: null } });
  assert.equal(candidate.performancePercent, 0);
});

Deno.test("toCandidate() takes a build's size from hypopg's estimate, and leaves it unknown without one", () => {
  assert.equal(buildCandidate("1", ["user_id"], 5_000).costs.storageMb, 2);
  assert.equal(
    buildCandidate("1", ["user_id"], 5_000, { facts: { indexBytes: null } }).costs.storageMb,
    null,
  );
});

Deno.test("toCandidate() counts a drop's freed space as negative storage", () => {
  assert.equal(dropCandidate("1", "robots_dup_idx", 3).costs.storageMb, -3);
});

Deno.test("toCandidate() expects a build to take two scans of its table", () => {
  const candidate = buildCandidate("1", ["user_id"], 5_000);
  const bytes = 10 * 1024 * 1024;
  assert.equal(
    candidate.costs.durationMs,
    Math.round(durationModel.fixedMs + (2 * bytes) / durationModel.scanBytesPerMs),
  );
});

Deno.test("toCandidate() rates a duplicate's drop less risky than another drop", () => {
  assert.ok(
    dropCandidate("1", "a_idx", 1, "index.duplicate").risk.points <
      dropCandidate("2", "b_idx", 1, "index.unused").risk.points,
  );
  assert.equal(dropCandidate("3", "c_idx", 1, "index.invalid").risk.points, 0);
});

Deno.test("toCandidate() lists the settings a config patch changes", () => {
  const candidate = configCandidate("1", { limits: { cacheSizeBudgetMb: 128 }, modules: { cache: true } });
  assert.deepEqual(candidate.configKeys, ["limits.cacheSizeBudgetMb", "modules.cache"]);
});

Deno.test("indexKeys() splits the key list at top-level commas only", () => {
  assert.deepEqual(
    indexKeys('create index concurrently i on public.t using btree (User_Id, lower(name), "Mixed, Case")'),
    ["user_id", "lower(name)", '"Mixed, Case"'],
  );
  assert.deepEqual(indexKeys("create index i on t (a) where b > 0"), ["a"]);
});
