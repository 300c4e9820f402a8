import assert from "node:assert/strict";
import {
  activity,
  burstFactor,
  defaultDiurnal,
  defaultMarketOpens,
  diurnalWeight,
  isWeekend,
  leadingMarket,
  type RateShape,
} from "../../bench/trace/shape.ts";
import { DAY_MS, MINUTE_MS } from "../../shared/time.ts";

const monday = Date.parse("2025-03-03T00:00:00.000Z");
const shape: RateShape = {
  diurnal: defaultDiurnal,
  weekendFactor: 0.35,
  marketOpens: defaultMarketOpens,
  burstMinutes: 15,
  burstGain: 3,
};

Deno.test("the diurnal weight interpolates linearly between full hours", () => {
  assert.equal(diurnalWeight(defaultDiurnal, monday + 14 * 60 * MINUTE_MS), 1);
  const halfPast = diurnalWeight(defaultDiurnal, monday + (6 * 60 + 30) * MINUTE_MS);
  assert.ok(Math.abs(halfPast - (0.12 + 0.4) / 2) < 1e-12);
});

Deno.test("a market open multiplies the rate by 1 + burstGain, falling to 1 when the burst ends", () => {
  const londonOpen = monday + 7 * 60 * MINUTE_MS;
  assert.equal(burstFactor(shape, londonOpen), 4);
  assert.ok(Math.abs(burstFactor(shape, londonOpen + 7.5 * MINUTE_MS) - 2.5) < 1e-12);
  assert.equal(burstFactor(shape, londonOpen + 15 * MINUTE_MS), 1);
  assert.equal(burstFactor(shape, londonOpen - MINUTE_MS), 1);
});

Deno.test("weekends are quieter and have no market-open bursts", () => {
  const saturdayLondon = monday + 5 * DAY_MS + 7 * 60 * MINUTE_MS;
  assert.ok(isWeekend(saturdayLondon) && !isWeekend(monday));
  assert.equal(burstFactor(shape, saturdayLondon), 1);
  assert.ok(Math.abs(activity(shape, saturdayLondon) - 0.35 * 0.4) < 1e-12);
});

Deno.test("the leading market is the one that opened last, wrapping at midnight", () => {
  assert.equal(leadingMarket(defaultMarketOpens, monday + 3 * 60 * MINUTE_MS), 0);
  assert.equal(leadingMarket(defaultMarketOpens, monday + 8 * 60 * MINUTE_MS), 1);
  assert.equal(leadingMarket(defaultMarketOpens, monday + 23 * 60 * MINUTE_MS), 2);
});
