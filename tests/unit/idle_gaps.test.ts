import assert from "node:assert/strict";
import { IdleGaps } from "../../shared/warm/idle_gaps.ts";

Deno.test("IdleGaps.survival() is the share of gaps at least that long", () => {
  const gaps = new IdleGaps();
  for (const gap of [10_000, 20_000, 30_000, 300_000]) gaps.add(gap);
  assert.equal(gaps.survival(0), 1);
  assert.equal(gaps.survival(20_000), 0.75);
  assert.equal(gaps.survival(31_000), 0.25);
  // Never seen this long: half a gap's worth, so that it stays possible.
  assert.equal(gaps.survival(400_000), 0.125);
});

Deno.test("IdleGaps.after() expects a timer's next request in the window it always comes in", () => {
  const gaps = new IdleGaps();
  for (let i = 0; i < 50; i++) gaps.add(300_000);
  const arrivals = gaps.after(0);
  const chance = (from: number, to: number) => 1 - Math.exp(-arrivals.expected(from, to));
  assert.ok(chance(290_000, 310_000) > 0.98, `in the window: ${chance(290_000, 310_000)}`);
  assert.ok(chance(60_000, 120_000) < 0.01, `before it: ${chance(60_000, 120_000)}`);
});

Deno.test("IdleGaps counts gaps beyond its range in its last bin", () => {
  const gaps = new IdleGaps({ rangeMs: 60_000 });
  gaps.add(3_600_000);
  gaps.add(1_000);
  assert.equal(gaps.count, 2);
  assert.equal(gaps.survival(59_000), 0.5);
});

Deno.test("IdleGaps at minute resolution expects a timer's next request anywhere in the minute it is due", () => {
  // The rollups saw a request in every fifth minute; the last one came at 12:00:40.
  const gaps = new IdleGaps({ resolutionMs: 60_000 });
  for (let i = 0; i < 50; i++) gaps.add(300_000);
  const last = Date.parse("2026-11-28T12:00:40Z");
  const arrivals = gaps.after(last);
  const at = (time: string) => Date.parse(`2026-11-28T${time}Z`);
  const chance = (from: string, to: string) => 1 - Math.exp(-arrivals.expected(at(from), at(to)));
  assert.ok(chance("12:05:00", "12:06:00") > 0.98, `in 12:05: ${chance("12:05:00", "12:06:00")}`);
  // Not five minutes after the instant (12:05:40): the rollups did not say when in its minute it came.
  const firstHalf = chance("12:05:00", "12:05:30");
  assert.ok(firstHalf > 0.45 && firstHalf < 0.55, `in 12:05's first half: ${firstHalf}`);
  assert.ok(chance("12:01:00", "12:05:00") < 0.01, `before 12:05: ${chance("12:01:00", "12:05:00")}`);
});

Deno.test("IdleGaps refuses a resolution that is not a whole number of seconds", () => {
  assert.throws(
    () => new IdleGaps({ resolutionMs: 1_500 }),
    /resolutionMs must be a whole number of seconds: got 1500/,
  );
});
