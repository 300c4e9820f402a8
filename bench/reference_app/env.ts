/**
 * The reference app's switches read from the function's env. Each reader throws naming the variable when its
 * value is malformed, so that a bad deploy fails at boot.
 */

/** A whole number >= 1 from the function's env, `fallback` when unset or empty. */
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

/** One of `choices` from the function's env, the first of them when unset or empty. */
export function envChoice<C extends string>(
  get: (name: string) => string | undefined,
  name: string,
  choices: readonly [C, ...C[]],
): C {
  const raw = get(name)?.trim() || choices[0];
  if (!(choices as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${choices.map((c) => `"${c}"`).join(", ")}: got "${raw}"`);
  }
  return raw as C;
}
