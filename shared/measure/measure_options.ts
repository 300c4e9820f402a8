/**
 * The options every measuring analyzer shares (how many runs, when a gain counts, how long it may wait and
 * run), with their defaults in one place and one check that says which option is wrong and how.
 */

import { checkWholeNumber } from "../analyze/options.ts";

/** How an analyzer measures a change and when it reports it. */
export interface MeasureOptions {
  /** Timed runs of each statement with and without the change (after one untimed run); the median counts. */
  runs: number;
  /** A change is reported when a statement gains at least this many milliseconds per call… */
  minGainMs: number;
  /** …and at least this share of its time. */
  minGainRatio: number;
  /** The page size and offset that LIMIT and OFFSET parameters of workload statements take. */
  page: { limit: number; offset: number };
  /** How long a measurement waits for a lock before it gives up. */
  lockTimeoutMs: number;
  /** How long one statement of a measurement may run. */
  statementTimeoutMs: number;
}

/** The defaults of MeasureOptions. */
export const measureDefaults: MeasureOptions = {
  runs: 5,
  minGainMs: 0.1,
  minGainRatio: 0.1,
  page: { limit: 100, offset: 0 },
  lockTimeoutMs: 2_000,
  statementTimeoutMs: 30_000,
};

/** Checks the shared options; throws a RangeError naming the first one that is wrong. */
function checkMeasureOptions(options: MeasureOptions): void {
  checkWholeNumber("runs", options.runs, 1);
  checkWholeNumber("page.limit", options.page.limit, 1);
  checkWholeNumber("page.offset", options.page.offset, 0);
  checkWholeNumber("lockTimeoutMs", options.lockTimeoutMs, 1);
  checkWholeNumber("statementTimeoutMs", options.statementTimeoutMs, 1);
  if (!(options.minGainMs >= 0)) throw new RangeError(`minGainMs must be >= 0: got ${options.minGainMs}`);
  if (!(options.minGainRatio >= 0 && options.minGainRatio < 1)) {
    throw new RangeError(`minGainRatio must be in [0, 1): got ${options.minGainRatio}`);
  }
}

/**
 * `defaults` with `options` laid over them, checked: first the shared options, then each option named in
 * `wholeNumbers` (its name and least value). Throws a RangeError naming the first option that is wrong.
 */
export function resolveMeasureOptions<T extends MeasureOptions>(
  defaults: T,
  options: Partial<T>,
  wholeNumbers: Partial<Record<keyof T & string, number>>,
): T {
  const resolved = { ...defaults, ...options };
  checkMeasureOptions(resolved);
  for (const [name, min] of Object.entries(wholeNumbers) as [keyof T & string, number][]) {
    checkWholeNumber(name, resolved[name] as number, min);
  }
  return resolved;
}
