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
  const gaps = new IdleGaps(60_000);
  gaps.add(3_600_000);
  gaps.add(1_000);
  assert.equal(gaps.count, 2);
  assert.equal(gaps.survival(59_000), 0.5);
});
