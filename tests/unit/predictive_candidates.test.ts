import assert from "node:assert/strict";
import {
  durationModel,
  gatherPrewarms,
  MINUTE_MS,
  prewarmCandidate,
  type PrewarmStore,
  type StatementOutlook,
} from "../../shared/mod.ts";
import { memoryForecastStore } from "../support/memory_forecast_store.ts";
import { plannedLoad as planned } from "../support/system_fixtures.ts";
import { dipAt1215, memoryPrewarmStore } from "../support/memory_prewarm_store.ts";

const now = new Date("2026-11-28T12:00:00Z");
const dips = { recurrenceDays: 7, slotMinutes: 5 };

Deno.test("prewarmCandidate() weighs a load's saving as a share of the last day's database time", () => {
  const candidate = prewarmCandidate(planned(600), { now, dips, dayWorkloadMs: 60_000 });
  assert.equal(candidate.performancePercent, 1);
  assert.equal(candidate.gainNote, null);
  assert.equal(candidate.module, "predictive");
  assert.equal(candidate.findingId, null);
  assert.equal(candidate.finding.subject, "table:public.robot_messages@12:15");
});

Deno.test("prewarmCandidate() gives a load whose gain is in disk blocks no share, and says it needs track_io_timing", () => {
  const candidate = prewarmCandidate(planned(null), { now, dips, dayWorkloadMs: 60_000 });
  assert.equal(candidate.performancePercent, 0);
  assert.equal(candidate.gain?.unit, "disk blocks");
  assert.match(candidate.gainNote ?? "", /track_io_timing .*POST \/predictive\/run/);
});

Deno.test("prewarmCandidate() gives no share when the day's database time is unknown", () => {
  assert.equal(prewarmCandidate(planned(600), { now, dips, dayWorkloadMs: null }).performancePercent, 0);
});

Deno.test("prewarmCandidate() expects a load to read its blocks once, and to take no disk and add no writes", () => {
  const { costs, plan } = prewarmCandidate(planned(600), { now, dips, dayWorkloadMs: 60_000 });
  assert.equal(
    costs.durationMs,
    Math.round(durationModel.fixedMs + (2500 * durationModel.blockBytes) / durationModel.scanBytesPerMs),
  );
  assert.deepEqual([costs.storageMb, costs.writePercent], [0, 0]);
  assert.deepEqual(plan.kind === "prewarm" && [plan.planned.relation, plan.slotMinutes], [
    "public.robot_messages",
    5,
  ]);
});

/** `store` with the statements each readInput() was given recorded in `seen`. */
function recording(store: PrewarmStore) {
  const seen: StatementOutlook[][] = [];
  const recorded: PrewarmStore = {
    ...store,
    readInput: (at, lookup, statements) => {
      seen.push([...statements]);
      return store.readInput(at, lookup, statements);
    },
  };
  return { store: recorded, seen };
}

const settings = {
  dips: { minBufferHitRatio: 0.9, minBlocks: 1000, slotMinutes: 5, minRecurrenceDays: 2, recurrenceDays: 7 },
  prewarm: { lookaheadMinutes: 20 },
};

Deno.test("gatherPrewarms() plans from the latest stored statement forecasts, each with its calls in the hour before it was made", async () => {
  const madeAt = new Date(now.getTime() - 10 * MINUTE_MS);
  const points = [{ atMs: now.getTime() + 15 * MINUTE_MS, value: 40 }];
  const forecasts = memoryForecastStore(() => 4, {
    statements: { "9": () => 3 },
    latest: [{ target: "9", madeAt, points }],
  });
  const buffers = recording(
    memoryPrewarmStore(dipAt1215, { tables: { "9": ["public.robot_messages"] } }).store,
  );
  const gathered = await gatherPrewarms(
    { forecasts: forecasts.store, buffers: buffers.store },
    now,
    settings,
  );
  assert.deepEqual(buffers.seen, [[{ queryid: "9", recentPerMinute: 3, points }]]);
  assert.equal(
    forecasts.calls[1],
    `history db/9/calls ${new Date(madeAt.getTime() - 60 * MINUTE_MS).toISOString()}–${madeAt.toISOString()}`,
  );
  assert.deepEqual(gathered.planned.map((p) => p.relation), ["public.robot_messages"]);
});

Deno.test("gatherPrewarms() reads only forecasts made within the forecast horizon: older ones end before now", async () => {
  const forecasts = memoryForecastStore();
  await gatherPrewarms({ forecasts: forecasts.store, buffers: memoryPrewarmStore().store }, now, settings);
  assert.deepEqual(forecasts.calls, ["latest db/calls since 2026-11-28T10:00:00.000Z"]);
});

Deno.test("gatherPrewarms() says why it plans no load when no slot recurs", async () => {
  const gathered = await gatherPrewarms(
    { forecasts: memoryForecastStore().store, buffers: memoryPrewarmStore().store },
    now,
    settings,
  );
  assert.deepEqual(gathered.planned, []);
  assert.equal(gathered.reason, "no time of day with recurring buffer-cache dips");
});
