/** `value` rounded to `digits` decimal places, as the system-wide run's figures and reasons state them. */
export function roundTo(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
