/**
 * Lengths of time, written once here so that no file carries its own 60_000 or 86_400. `_MS` constants are
 * for epoch and trace milliseconds, `_SECONDS` ones for ages and intervals kept in seconds. A day is 24 h of
 * UTC time (no daylight saving).
 */
/** One second in milliseconds. */
export const SECOND_MS = 1000;
/** One minute in milliseconds. */
export const MINUTE_MS = 60 * SECOND_MS;
/** One hour in milliseconds. */
export const HOUR_MS = 60 * MINUTE_MS;
/** One UTC day (24 h, no daylight saving) in milliseconds. */
export const DAY_MS = 24 * HOUR_MS;

export const MINUTE_SECONDS = 60;
export const HOUR_SECONDS = 60 * MINUTE_SECONDS;
export const DAY_SECONDS = 24 * HOUR_SECONDS;
