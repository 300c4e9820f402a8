/**
 * Lengths of time, written once here so that no file carries its own 60_000 or 86_400. `_MS` constants are
 * for epoch and trace milliseconds, `_SECONDS` ones for ages and intervals kept in seconds. A day is 24 h of
 * UTC time (no daylight saving).
 */
export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const MINUTE_SECONDS = 60;
export const HOUR_SECONDS = 60 * MINUTE_SECONDS;
export const DAY_SECONDS = 24 * HOUR_SECONDS;
