import { z } from "zod";

/**
 * Values Postgres can store, checked before they reach it: valid JSON that Postgres rejects would otherwise
 * fail the statement (a 500 that clients retry forever). The bounds were measured on Postgres 15:
 * - text and jsonb cannot hold U+0000 ("unsupported Unicode escape sequence" / "invalid byte sequence");
 * - a lone UTF-16 surrogate (`\ud800`) has no UTF-8 form ("Unicode low surrogate must follow a high
 *   surrogate");
 * - timestamptz takes time-zone offsets up to ±15:59:59 ("time zone displacement out of range" at +16:00);
 * - timestamptz rejects a fractional second of a few hundred digits ("invalid input syntax"), and keeps only
 *   microseconds of any: more than 9 digits carry nothing;
 * - timestamptz has no year 0 ("date/time field value out of range").
 */

/** Postgres rejects offsets of 16 hours or more. */
export const maxOffsetHours = 15;
/** Nanoseconds; Postgres keeps microseconds, so further digits are noise. */
export const maxFractionDigits = 9;
/** attrs are labels: a few levels of objects and arrays, never a document (`{}` is level 1). */
export const maxJsonDepth = 8;

/** Why Postgres cannot store `text`, or null when it can. */
export function textProblem(text: string): string | null {
  if (text.includes("\u0000")) {
    return "must not contain the NUL character (\\u0000): Postgres cannot store it";
  }
  if (!text.isWellFormed()) {
    return "must not contain a lone UTF-16 surrogate (e.g. \\ud800): it has no UTF-8 form";
  }
  return null;
}

/** A string check for z.string().check(): adds textProblem() as an issue. */
export function storableText(ctx: z.core.ParsePayload<string>): void {
  const problem = textProblem(ctx.value);
  if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
}

/** Why Postgres cannot store the ISO date-time `text` (already matched as one), or null when it can. */
export function dateTimeProblem(text: string): string | null {
  if (text.startsWith("0000-")) return "year 0000 does not exist in Postgres: use 0001 or later";
  const fraction = /\.(\d+)/.exec(text);
  if (fraction && fraction[1].length > maxFractionDigits) {
    return `must have at most ${maxFractionDigits} fractional-second digits: got ${fraction[1].length}`;
  }
  const offset = /([+-])(\d\d):(\d\d)$/.exec(text);
  if (offset && Number(offset[2]) > maxOffsetHours) {
    return `time-zone offset must be between -${maxOffsetHours}:59 and +${maxOffsetHours}:59: got ${
      offset[0]
    }`;
  }
  return null;
}

/** An ISO 8601 date-time with a time zone that Postgres' timestamptz accepts. */
export function storableDateTime(example: string) {
  return z.iso.datetime({
    offset: true,
    error: `must be an ISO 8601 date-time with a time zone, e.g. ${example}`,
  }).check((ctx) => {
    const problem = dateTimeProblem(ctx.value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });
}

export interface JsonIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The first reason Postgres' jsonb cannot store `value` as given, with its path below `value`, or null.
 * Walks iteratively and stops below maxDepth, so a value nested thousands of levels deep costs nothing and
 * cannot overflow the stack.
 */
export function jsonProblem(value: unknown, maxDepth = maxJsonDepth): JsonIssue | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    const depth = path.length;
    if (typeof node === "string") {
      const problem = textProblem(node);
      if (problem) return { path, message: problem };
    } else if (typeof node === "number") {
      if (!Number.isFinite(node)) return { path, message: "must be a finite number" };
    } else if (Array.isArray(node) || (typeof node === "object" && node !== null)) {
      if (depth >= maxDepth) {
        return { path, message: `nests objects and arrays deeper than ${maxDepth} levels: flatten it` };
      }
      const entries: [string | number, unknown][] = Array.isArray(node)
        ? node.map((item, i) => [i, item])
        : Object.entries(node);
      for (const [key, item] of entries.reverse()) {
        if (typeof key === "string") {
          const problem = textProblem(key);
          if (problem) return { path: [...path, key], message: `key ${problem}` };
        }
        stack.push({ value: item, path: [...path, key] });
      }
    } else if (typeof node !== "boolean" && node !== null) {
      return { path, message: `must be a JSON value: got ${typeof node}` };
    }
  }
  return null;
}
