import assert from "node:assert/strict";
import { chooseWindows } from "../../bench/harness/world.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

const options = { measuredMs: 30 * MINUTE_MS, discoveryMs: 15 * MINUTE_MS, notBeforeMs: 6 * HOUR_MS };

Deno.test("chooseWindows() puts the first outage after notBeforeMs a third into the measured window", () => {
  const windows = chooseWindows({
    durationMs: DAY_MS,
    outages: [{ startMs: 2 * HOUR_MS, endMs: 2 * HOUR_MS + 5 * MINUTE_MS }, {
      startMs: 9 * HOUR_MS,
      endMs: 9 * HOUR_MS + 4 * MINUTE_MS,
    }],
  }, options);
  assert.deepEqual(windows.measured, {
    fromMs: 9 * HOUR_MS - 10 * MINUTE_MS,
    toMs: 9 * HOUR_MS + 20 * MINUTE_MS,
  });
  assert.deepEqual(windows.discovery, {
    fromMs: 9 * HOUR_MS - 25 * MINUTE_MS,
    toMs: 9 * HOUR_MS - 10 * MINUTE_MS,
  });
});

Deno.test("chooseWindows() starts after notBeforeMs and the discovery window when no outage fits", () => {
  const windows = chooseWindows({ durationMs: DAY_MS, outages: [] }, options);
  assert.deepEqual(windows.discovery, { fromMs: 6 * HOUR_MS, toMs: 6 * HOUR_MS + 15 * MINUTE_MS });
  assert.deepEqual(windows.measured, {
    fromMs: 6 * HOUR_MS + 15 * MINUTE_MS,
    toMs: 6 * HOUR_MS + 45 * MINUTE_MS,
  });
});

Deno.test("chooseWindows() refuses windows that do not fit in the day", () => {
  assert.throws(
    () =>
      chooseWindows({ durationMs: DAY_MS, outages: [] }, {
        ...options,
        notBeforeMs: 23 * HOUR_MS + 30 * MINUTE_MS,
      }),
    /do not fit in the day/,
  );
});
