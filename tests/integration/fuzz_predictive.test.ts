/**
 * Property-based fuzzing of the predictive function while the database is up: whatever a caller sends to
 * GET /predictive/forecast or POST /predictive/run, the answer is never a 5xx. Deterministic: a fixed seed and a bounded run count.
 */
import fc from "fast-check";
import { stackEnv } from "../support/env.ts";
import { awkwardText, expectNo5xx, mostly, querySpellings } from "../support/fuzz.ts";

const env = stackEnv();
const forecastUrl = `${env.url}/functions/v1/predictive/forecast`;
const seed = 20261128;

/** Numbers as a query string carries them: mostly in range, sometimes huge, negative, fractional or junk. */
const number = (min: number, max: number) =>
  mostly(
    fc.integer({ min, max }).map(String),
    fc.oneof(fc.double().map(String), fc.constantFrom("1e400", "-0", "NaN", "0x10", ""), awkwardText),
  );

const forecastQuery = fc.record(
  {
    system: mostly(fc.constantFrom("db", "cache", "edge", "app"), awkwardText),
    target: mostly(
      fc.oneof(
        fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
        // a statement's target is a queryid: around and beyond a bigint's range
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
      ),
      awkwardText,
    ),
    kind: mostly(fc.constantFrom("request", "lookup", "calls"), awkwardText),
    horizonMinutes: number(1, 1440),
    historyDays: number(1, 28),
  },
  { requiredKeys: [] },
);

Deno.test("GET /predictive/forecast never answers 5xx to generated queries", async () => {
  await fc.assert(
    fc.asyncProperty(forecastQuery, async (query) => {
      for (const search of querySpellings(query)) {
        const response = await fetch(`${forecastUrl}?${search}`, { headers: { apikey: env.secretKey } });
        await expectNo5xx(response, `GET /predictive/forecast?${search}`);
      }
    }),
    { seed, numRuns: 60 },
  );
});

const runQuery = fc.record(
  { trigger: mostly(fc.constantFrom("api", "cron"), awkwardText), extra: awkwardText },
  { requiredKeys: [] },
);

Deno.test("POST /predictive/run never answers 5xx to generated queries", async () => {
  await fc.assert(
    fc.asyncProperty(runQuery, async (query) => {
      for (const search of querySpellings(query)) {
        const response = await fetch(`${env.url}/functions/v1/predictive/run?${search}`, {
          method: "POST",
          headers: { apikey: env.secretKey },
        });
        await expectNo5xx(response, `POST /predictive/run?${search}`);
      }
    }),
    // a valid query makes a whole run: few of them
    { seed, numRuns: 15 },
  );
});
