import assert from "node:assert/strict";
import { type RateSeriesRow, rateTrends } from "../../shared/mod.ts";

const now = new Date("2026-11-30T12:00:00Z");
/** The hour starting `hoursAgo` hours before now. */
const hour = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
const row = (
  target: string,
  hoursAgo: number,
  events: number,
  part: number,
  system = "edge",
): RateSeriesRow => ({
  system,
  target,
  at: hour(hoursAgo),
  events: String(events),
  part: String(part),
});

Deno.test("rateTrends() gives each series' rate per hour, oldest first, counts read as numbers", () => {
  const [trend] = rateTrends([row("robots", 1, 100, 5), row("robots", 10, 50, 10)], "edge", now);
  assert.equal(trend.subject, "edge:robots");
  assert.deepEqual(trend.points, [
    { at: hour(10), events: 50, rate: 0.2 },
    { at: hour(1), events: 100, rate: 0.05 },
  ]);
});

Deno.test("rateTrends() keeps to the system asked for, its series by name", () => {
  const rows = [row("robots", 1, 10, 1), row("chat", 1, 10, 1), row("quotes", 1, 10, 9, "cache")];
  assert.deepEqual(rateTrends(rows, "edge", now).map((t) => t.subject), ["edge:chat", "edge:robots"]);
  assert.deepEqual(rateTrends(rows, "cache", now).map((t) => t.subject), ["cache:quotes"]);
});

Deno.test("rateTrends() pools the recent hours and the earlier ones, so a quiet hour weighs little", () => {
  const rows = [row("robots", 20, 1000, 100), row("robots", 19, 10, 10), row("robots", 2, 1000, 100)];
  const { change } = rateTrends(rows, "edge", now)[0];
  assert.equal(change?.earlier, 110 / 1010);
  assert.equal(change?.recent, 0.1);
  assert.equal(change?.direction, "steady");
});

Deno.test("rateTrends() calls a rise rising when the z-test rejects equal rates", () => {
  const { change } = rateTrends([row("robots", 12, 1000, 20), row("robots", 1, 1000, 80)], "edge", now)[0];
  assert.equal(change?.direction, "rising");
  assert.ok(change!.pValue < 0.05);
});

Deno.test("rateTrends() calls a fall falling when the z-test rejects equal rates", () => {
  const { change } = rateTrends([row("r", 12, 500, 100), row("r", 1, 500, 20)], "edge", now)[0];
  assert.equal(change?.direction, "falling");
});

Deno.test("rateTrends() calls a change the samples cannot tell from chance steady", () => {
  const { change } = rateTrends([row("robots", 12, 20, 2), row("robots", 1, 20, 4)], "edge", now)[0];
  assert.equal(change?.direction, "steady");
  assert.ok(change!.pValue >= 0.05);
});

Deno.test("rateTrends() has no change without events in the recent hours", () => {
  assert.equal(rateTrends([row("robots", 12, 100, 5)], "edge", now)[0].change, null);
});

Deno.test("rateTrends() counts an hour that began before the recent hours as earlier", () => {
  const { change } = rateTrends([row("robots", 6.5, 100, 50), row("robots", 5.5, 100, 0)], "edge", now, {
    recentHours: 6,
  })[0];
  assert.deepEqual([change?.earlier, change?.recent], [0.5, 0]);
});

Deno.test("rateTrends() rejects recentHours below 1 and a significance outside (0, 1)", () => {
  assert.throws(() => rateTrends([], "edge", now, { recentHours: 0 }), /recentHours must be >= 1: got 0/);
  assert.throws(
    () => rateTrends([], "edge", now, { significance: 1 }),
    /significance must be between 0 and 1/,
  );
});
