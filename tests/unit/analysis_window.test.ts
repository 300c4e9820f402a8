import assert from "node:assert/strict";
import { analysisWindows } from "../../shared/analyze/analysis_window.ts";

Deno.test("analysisWindows() reads an hour per minute, rounded out to whole minutes, after the hour before it", () => {
  const windows = analysisWindows({
    from: new Date("2026-01-05T12:00:30Z"),
    to: new Date("2026-01-05T13:00:10Z"),
  });
  assert.deepEqual(windows, {
    current: {
      from: new Date("2026-01-05T12:00:00Z"),
      to: new Date("2026-01-05T13:01:00Z"),
      bucketSeconds: 60,
    },
    previous: {
      from: new Date("2026-01-05T10:59:00Z"),
      to: new Date("2026-01-05T12:00:00Z"),
      bucketSeconds: 60,
    },
  });
});

Deno.test("analysisWindows() reads a window too long for per-minute buckets in 5-minute buckets", () => {
  const windows = analysisWindows({
    from: new Date("2026-01-01T00:00:00Z"),
    to: new Date("2026-01-10T00:00:00Z"),
  });
  assert.equal(windows.current.bucketSeconds, 300);
});

Deno.test("analysisWindows() refuses a window that does not end after it starts", () => {
  const at = new Date("2026-01-05T12:00:00Z");
  assert.throws(() => analysisWindows({ from: at, to: at }), /the analysis window must end after it starts/);
});
