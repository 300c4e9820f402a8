import type { Window } from "../finding/finding.ts";
import { maxSeriesBuckets } from "../metrics/series.ts";
import { HOUR_SECONDS, MINUTE_MS, MINUTE_SECONDS } from "../time.ts";

/**
 * The windows an analyzer of the metric store reads: the analysis window in whole minutes (`current`), read
 * per minute so that series of different systems line up bucket for bucket, and the window of the same
 * length just before it (`previous`), against which trends are judged. A window too long for
 * maxSeriesBuckets minutes is read in 5-minute, then hourly buckets.
 */

/** A window of the metric store in buckets (the fields of a SeriesWindow without its filters). */
export interface BucketedWindow {
  /** Start (inclusive), on a whole bucket since the Unix epoch. */
  from: Date;
  /** End (exclusive). */
  to: Date;
  /** Length of a bucket in seconds. */
  bucketSeconds: number;
}

/** The analysis window and the one before it. */
export interface AnalysisWindows {
  /** The window analyzed, in buckets of 1 minute unless it is too long for that. */
  current: BucketedWindow;
  /** The window of the same length just before `current`, in the same buckets. */
  previous: BucketedWindow;
}

const bucketChoices = [MINUTE_SECONDS, 5 * MINUTE_SECONDS, HOUR_SECONDS];

/** The windows for `window` (from rounded down, to rounded up to whole buckets). Throws when from >= to. */
export function analysisWindows(window: { from: Date; to: Date }): AnalysisWindows {
  if (!(window.from.getTime() < window.to.getTime())) {
    throw new RangeError(
      `the analysis window must end after it starts: got ${window.from.toISOString()} to ${window.to.toISOString()}`,
    );
  }
  const minutes = Math.ceil((window.to.getTime() - window.from.getTime()) / MINUTE_MS);
  // One bucket spare: rounding from down and to up can add one.
  const bucketSeconds = bucketChoices.find((s) => (minutes * MINUTE_SECONDS) / s <= maxSeriesBuckets - 1) ??
    HOUR_SECONDS;
  const bucketMs = bucketSeconds * 1000;
  const from = Math.floor(window.from.getTime() / bucketMs) * bucketMs;
  const to = Math.ceil(window.to.getTime() / bucketMs) * bucketMs;
  return {
    current: { from: new Date(from), to: new Date(to), bucketSeconds },
    previous: { from: new Date(from - (to - from)), to: new Date(from), bucketSeconds },
  };
}

/** A window as findings state it. */
export function findingWindow(window: BucketedWindow): Window {
  return { from: window.from.toISOString(), to: window.to.toISOString() };
}
