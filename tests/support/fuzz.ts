/** Arbitraries and checks shared by the property-based fuzz tests of the functions' routes. */
import fc from "fast-check";

/** Text with the characters Postgres and JSON find hard, and some ordinary ones. */
export const awkwardText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom("\u0000", "\ud800", "\udfff", "\ud83d\ude00", "a", "_", "é", "\\", '"', "%00", " "),
    maxLength: 8,
  }),
);

/** An instant anywhere in the years 0 to 9999 (all that four-digit ISO 8601 writes), as toISOString() writes it. */
export const anyYearInstant = fc.date({
  min: new Date("0000-01-01T00:00:00Z"),
  max: new Date("9999-12-31T23:59:59Z"),
  noInvalidDate: true,
}).map((date) => date.toISOString());

/** Mostly `valid`, sometimes `awkward`: most generated batches then pass validation and reach Postgres. */
export const mostly = <T, U>(valid: fc.Arbitrary<T>, awkward: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: awkward, weight: 1 });

/** Throws, with the answer, when `response` is a 5xx; reads the body either way. */
export async function expectNo5xx(response: Response, what: string) {
  const text = await response.text();
  if (response.status >= 500) throw new Error(`${what} answered ${response.status}: ${text}`);
}

/**
 * A query two ways: as URLSearchParams writes it, which encodes lone surrogates as U+FFFD, and with every
 * UTF-16 unit percent-encoded as it is, which is what a hostile client can send instead.
 */
export function querySpellings(query: Record<string, string>): string[] {
  const raw = Object.entries(query).map(([key, value]) => `${key}=${percentEncodeUnits(value)}`).join("&");
  return [new URLSearchParams(query).toString(), raw];
}

/**
 * A path segment two ways: percent-encoded after lone surrogates become U+FFFD, and with every UTF-16 unit
 * percent-encoded as it is, which is what a hostile client can send instead.
 */
export function pathSpellings(segment: string): string[] {
  return [encodeURIComponent(segment.toWellFormed()), percentEncodeUnits(segment)];
}

/** `text` with every character but the unreserved ones percent-encoded as its first UTF-16 unit, lone or not. */
function percentEncodeUnits(text: string): string {
  return [...text].map((ch) =>
    /[A-Za-z0-9_.~-]/.test(ch) ? ch : `%${ch.charCodeAt(0).toString(16).padStart(2, "0")}`
  ).join("");
}
