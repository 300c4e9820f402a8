import assert from "node:assert/strict";
import { rise, slotStatements, statementOutlook } from "../../shared/buffers/statement_spikes.ts";
import type { Forecast } from "../../shared/forecast/forecast.ts";

const o = { minSpikeRatio: 2, minCallsPerMinute: 1 };
const at = (minute: number) => Date.UTC(2025, 2, 10, 7, minute);

/** A forecast's points: `values`, one a minute from 07:00. */
function forecast(values: number[]): Pick<Forecast, "points"> {
  return { points: values.map((value, k) => ({ atMs: at(k), value, low: null, high: null })) };
}

Deno.test("statementOutlook() takes the recent rate from the last hour of the series", () => {
  const values = [...Array(60).fill(100), ...Array(60).fill(3)];
  const outlook = statementOutlook(
    "7",
    { startMs: at(0) - 120 * 60_000, stepMs: 60_000, values },
    forecast([1, 2]),
  );
  assert.deepEqual(outlook, {
    queryid: "7",
    recentPerMinute: 3,
    points: [{ atMs: at(0), value: 1 }, { atMs: at(1), value: 2 }],
  });
});

Deno.test("slotStatements() judges the forecast over the slot's minutes against the recent rate", () => {
  const outlook = { queryid: "7", recentPerMinute: 4, points: forecast([1, 1, 9, 9, 1]).points };
  assert.deepEqual(slotStatements([outlook], at(2), at(4), o), [{
    queryid: "7",
    forecastPerMinute: 9,
    recentPerMinute: 4,
    spiking: true,
  }]);
  assert.equal(slotStatements([outlook], at(3), at(5), o)[0].spiking, false);
});

Deno.test("slotStatements() leaves out a statement whose forecast ends before the slot", () => {
  const outlook = { queryid: "7", recentPerMinute: 4, points: forecast([9, 9]).points };
  assert.deepEqual(slotStatements([outlook], at(5), at(35), o), []);
});

Deno.test("slotStatements() puts the steepest rise first", () => {
  const steady = { queryid: "1", recentPerMinute: 10, points: forecast([30]).points };
  const sudden = { queryid: "2", recentPerMinute: 0, points: forecast([2]).points };
  assert.deepEqual(slotStatements([steady, sudden], at(0), at(1), o).map((s) => s.queryid), ["2", "1"]);
});

Deno.test("rise() is Infinity from a standstill and 0 for none forecast", () => {
  assert.equal(rise({ forecastPerMinute: 2, recentPerMinute: 0 }), Infinity);
  assert.equal(rise({ forecastPerMinute: 0, recentPerMinute: 0 }), 0);
  assert.equal(rise({ forecastPerMinute: 6, recentPerMinute: 2 }), 3);
});
