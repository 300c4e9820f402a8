/**
 * A whole number >= 1 from the function's env, `fallback` when unset or empty; throws naming the variable when
 * it is malformed, so that a bad deploy fails at boot.
 */
export function envWholeNumber(
  get: (name: string) => string | undefined,
  name: string,
  fallback?: number,
): number | undefined {
  const raw = get(name)?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number >= 1: got "${raw}"`);
  }
  return value;
}
