/**
 * Options objects of the analyzers: numbers with defaults in one place, validated before anything is read,
 * each error naming the option, its bound and the value given ("minLookups must be >= 1: got 0").
 */

/** The bounds of one numeric option. */
export interface Bound {
  /** Smallest allowed value (inclusive). */
  min: number;
  /** Largest allowed value (inclusive); absent: none. */
  max?: number;
  /** Whether only whole numbers are allowed. */
  integer?: boolean;
}

/** Throws a RangeError naming the option unless `value` is a whole number >= `min`. */
export function checkWholeNumber(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number >= ${min}: got ${value}`);
  }
}

/**
 * `defaults` with `input` laid over them, every value checked against its bound. Throws RangeError naming the
 * option for an unknown key, a value out of bounds, or a fraction where a whole number is needed.
 */
export function resolveOptions<T extends { [K in keyof T]: number }>(
  defaults: T,
  bounds: { [K in keyof T]: Bound },
  input: Partial<T> = {},
): T {
  for (const key of Object.keys(input)) {
    if (!(key in defaults)) {
      throw new RangeError(`unknown option ${key}: expected one of ${Object.keys(defaults).join(", ")}`);
    }
  }
  const resolved = { ...defaults, ...input };
  for (const [name, bound] of Object.entries(bounds) as [string, Bound][]) {
    const value = (resolved as Record<string, unknown>)[name];
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new RangeError(`${name} must be a number: got ${value}`);
    }
    if (bound.integer && !Number.isInteger(value)) {
      throw new RangeError(`${name} must be a whole number: got ${value}`);
    }
    if (value < bound.min) throw new RangeError(`${name} must be >= ${bound.min}: got ${value}`);
    if (bound.max !== undefined && value > bound.max) {
      throw new RangeError(`${name} must be <= ${bound.max}: got ${value}`);
    }
  }
  return resolved;
}
