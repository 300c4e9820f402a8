import assert from "node:assert/strict";
import { refreshForecasts } from "../../shared/mod.ts";
import { memoryForecastStore } from "../support/memory_forecast_store.ts";

const now = new Date("2026-11-28T12:00:30Z");
const input = { trigger: "api" as const, now, deadlineMs: Infinity, horizonMinutes: 60 };

Deno.test("refreshForecasts() skips a target with no events in its history and says so", async () => {
  const { store, calls } = memoryForecastStore(() => 0);
  const summary = await refreshForecasts(store, input);
  assert.deepEqual(summary.forecasts, []);
  assert.deepEqual(summary.skipped, [{
    system: "edge",
    target: "robots",
    kind: "request",
    reason: "no events in the 14 days before 2026-11-28T11:57:00.000Z",
  }]);
  assert.equal(calls.at(-1), "finish 41 succeeded");
});

Deno.test("refreshForecasts() skips the targets it reaches after the deadline", async () => {
  const { store, calls } = memoryForecastStore();
  const summary = await refreshForecasts(store, { ...input, deadlineMs: 0 });
  assert.deepEqual(summary.skipped.map((s) => s.reason), [
    "the run's deadline (limits.maxRunDurationSeconds) passed first",
  ]);
  assert.ok(!calls.some((call) => call.startsWith("history")), "no history read after the deadline");
});

Deno.test("refreshForecasts() forecasts from the target's first event on", async () => {
  const firstEvent = Date.parse("2026-11-28T10:30:00Z");
  const { store } = memoryForecastStore((atMs) => (atMs >= firstEvent ? 3 : 0));
  const [forecast] = (await refreshForecasts(store, input)).forecasts;
  // 10:30 to 11:57, where the 3 minutes not yet settled before now's minute begin
  assert.equal(forecast.historyMinutes, 87);
});

Deno.test("refreshForecasts() records the run as failed, with the error, and rethrows", async () => {
  const { store, calls } = memoryForecastStore(() => 2, { failOnSave: true });
  await assert.rejects(refreshForecasts(store, input), /connection lost/);
  assert.equal(calls.at(-1), "finish 41 failed: connection lost");
});

Deno.test("refreshForecasts() rejects an option out of bounds before recording a run", async () => {
  const { store, calls } = memoryForecastStore();
  await assert.rejects(
    refreshForecasts(store, { ...input, options: { maxTargets: 0 } }),
    { message: "maxTargets must be >= 1: got 0" },
  );
  assert.deepEqual(calls, []);
});
