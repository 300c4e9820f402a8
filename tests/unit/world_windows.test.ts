import assert from "node:assert/strict";
import { chooseWindows } from "../../bench/harness/world.ts";

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const options = { measuredMs: 30 * minute, discoveryMs: 15 * minute, notBeforeMs: 6 * hour };

Deno.test("chooseWindows() puts the first outage after notBeforeMs a third into the measured window", () => {
  const windows = chooseWindows({
    durationMs: day,
    outages: [{ startMs: 2 * hour, endMs: 2 * hour + 5 * minute }, {
      startMs: 9 * hour,
      endMs: 9 * hour + 4 * minute,
    }],
  }, options);
  assert.deepEqual(windows.measured, { fromMs: 9 * hour - 10 * minute, toMs: 9 * hour + 20 * minute });
  assert.deepEqual(windows.discovery, { fromMs: 9 * hour - 25 * minute, toMs: 9 * hour - 10 * minute });
});

Deno.test("chooseWindows() starts after notBeforeMs and the discovery window when no outage fits", () => {
  const windows = chooseWindows({ durationMs: day, outages: [] }, options);
  assert.deepEqual(windows.discovery, { fromMs: 6 * hour, toMs: 6 * hour + 15 * minute });
  assert.deepEqual(windows.measured, { fromMs: 6 * hour + 15 * minute, toMs: 6 * hour + 45 * minute });
});

Deno.test("chooseWindows() refuses windows that do not fit in the day", () => {
  assert.throws(
    () =>
      chooseWindows({ durationMs: day, outages: [] }, { ...options, notBeforeMs: 23 * hour + 30 * minute }),
    /do not fit in the day/,
  );
});
