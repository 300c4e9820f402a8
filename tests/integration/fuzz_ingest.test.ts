/**
 * Property-based fuzzing of the metrics function while the database is up: whatever a caller sends to
 * POST /metrics, GET /metrics or DELETE /metrics/users/:userId, the answer is never a 5xx. Inputs mix valid
 * events with what Postgres rejects (NUL, lone surrogates, large offsets, long fractions, deep attrs) and plain
 * junk. Deterministic: a fixed seed (fast-check prints it, with the shrunk counterexample, on failure) and a
 * bounded run count.
 */
import fc from "fast-check";
import { stackEnv, userJwt } from "../support/env.ts";
import {
  anyYearInstant,
  awkwardText,
  expectNo5xx,
  mostly,
  pathSpellings,
  querySpellings,
} from "../support/fuzz.ts";

const env = stackEnv();
const metricsUrl = `${env.url}/functions/v1/metrics`;
const seed = 20261128;
const runsPerRoute = 60;

/** Minutes east of UTC: mostly what Postgres takes (within ±15:59), sometimes beyond. */
const offsetMinutes = mostly(fc.integer({ min: -959, max: 959 }), fc.integer({ min: -1439, max: 1439 }));

/** An instant near now (within retention, or just outside it) written with any offset and fraction. */
const nearNow = fc.tuple(
  mostly(
    fc.integer({ min: -4 * 60_000, max: 4 * 60_000 }),
    fc.integer({ min: -20 * 86_400_000, max: 600_000 }),
  ),
  mostly(fc.nat({ max: 9 }), fc.nat({ max: 400 })),
  fc.option(offsetMinutes),
).map(([shiftMs, digits, zone]) => {
  const local = new Date(Date.now() + shiftMs + (zone ?? 0) * 60_000).toISOString().slice(0, 19);
  const fraction = digits > 0 ? "." + "7".repeat(digits) : "";
  if (zone === null) return `${local}${fraction}Z`;
  const abs = Math.abs(zone);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${local}${fraction}${zone < 0 ? "-" : "+"}${hhmm}`;
});

/** Date-times near now, far away, and strings that only look like one. */
const dateTime = mostly(
  nearNow,
  fc.oneof(
    anyYearInstant,
    awkwardText,
  ),
);

/** attrs: JSON values (also deeply nested ones) with awkward keys and strings. */
const attrs = mostly(
  fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), {
    maxKeys: 3,
  }),
  fc.oneof(
    fc.dictionary(awkwardText, fc.oneof(awkwardText, fc.integer(), fc.boolean(), fc.constant(null)), {
      maxKeys: 4,
    }),
    fc.jsonValue({ maxDepth: 4 }),
    fc.integer({ min: 1, max: 2000 }).map((depth) => {
      let value: unknown = "leaf";
      for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { d: value };
      return { nested: value };
    }),
  ),
);

const event = fc.record(
  {
    occurredAt: dateTime,
    system: mostly(fc.constantFrom("db", "cache", "edge", "app"), awkwardText),
    target: mostly(fc.string({ unit: "binary", minLength: 1, maxLength: 30 }), awkwardText),
    kind: mostly(fc.constantFrom("request", "query", "lookup"), awkwardText),
    latencyMs: mostly(fc.double({ min: 0, max: 3_600_000, noNaN: true }), fc.oneof(fc.double(), awkwardText)),
    error: mostly(fc.boolean(), awkwardText),
    coldStart: fc.boolean(),
    cache: mostly(fc.constantFrom("hit", "miss"), awkwardText),
    attrs,
  },
  { requiredKeys: ["occurredAt", "system", "target", "kind"] },
);

const batch = fc.record({
  events: mostly(fc.array(event, { minLength: 1, maxLength: 3 }), fc.constant([])),
  batchId: fc.option(mostly(fc.uuid(), awkwardText), { nil: undefined }),
  asUser: fc.boolean(),
});

Deno.test("POST /metrics never answers 5xx to generated batches", async () => {
  const headersFor = async (asUser: boolean): Promise<Record<string, string>> =>
    asUser
      ? {
        apikey: env.publishableKey,
        authorization: `Bearer ${await userJwt(crypto.randomUUID())}`,
        "content-type": "application/json",
      }
      : { apikey: env.secretKey, "content-type": "application/json" };
  await fc.assert(
    fc.asyncProperty(batch, async ({ asUser, ...body }) => {
      const response = await fetch(metricsUrl, {
        method: "POST",
        headers: await headersFor(asUser),
        body: JSON.stringify(body),
      });
      await expectNo5xx(response, "POST /metrics");
    }),
    { seed, numRuns: runsPerRoute },
  );
});

const seriesQuery = fc.record(
  {
    from: dateTime,
    // mostly after any `from` near now, so that most queries get as far as the database
    to: mostly(fc.constant(new Date(Date.now() + 3_600_000).toISOString()), dateTime),
    bucket: mostly(fc.constantFrom("1m", "5m", "1h", "1d", "366d"), awkwardText),
    system: mostly(fc.constantFrom("db", "app"), awkwardText),
    target: mostly(fc.string({ unit: "binary", minLength: 1, maxLength: 30 }), awkwardText),
    kind: mostly(fc.constant("request"), awkwardText),
  },
  { requiredKeys: [] },
);

Deno.test("GET /metrics never answers 5xx to generated queries", async () => {
  await fc.assert(
    fc.asyncProperty(seriesQuery, async (query) => {
      for (const search of querySpellings(query)) {
        const response = await fetch(`${metricsUrl}?${search}`, { headers: { apikey: env.secretKey } });
        await expectNo5xx(response, `GET /metrics?${search}`);
      }
    }),
    { seed, numRuns: runsPerRoute },
  );
});

Deno.test("DELETE /metrics/users/:userId never answers 5xx to generated user ids", async () => {
  // ids no test reports events for (fuzz-…), and ids of any text: the purge of an unknown user deletes nothing
  const userId = mostly(
    fc.oneof(
      fc.uuid().map((id) => `fuzz-${id}`),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
    ),
    fc.oneof(awkwardText, fc.constantFrom("x".repeat(256), "%00", "..", "a/b")),
  );
  await fc.assert(
    fc.asyncProperty(userId, async (id) => {
      for (const segment of pathSpellings(id)) {
        const response = await fetch(`${metricsUrl}/users/${segment}`, {
          method: "DELETE",
          headers: { apikey: env.secretKey },
        });
        await expectNo5xx(response, `DELETE /metrics/users/${segment}`);
      }
    }),
    { seed, numRuns: runsPerRoute },
  );
});
