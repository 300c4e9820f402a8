/**
 * Property-based fuzzing of the recommendations function while the database is up: whatever a caller sends to
 * its routes (the list's filters, a finding's id, a dismissal's reason, a refresh's `since`), the answer is
 * never a 5xx, and a dismissal is stored only when its reason is valid. The finding the routes act on is one
 * this test writes and deletes, so no other test's findings change. Deterministic: a fixed seed and a bounded
 * run count.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stackEnv } from "../support/env.ts";
import { testFinding } from "../support/findings.ts";
import {
  anyYearInstant,
  awkwardText,
  expectNo5xx,
  mostly,
  pathSpellings,
  querySpellings,
} from "../support/fuzz.ts";
import { storeFinding, withSql } from "../support/metric_store_db.ts";

const env = stackEnv();
const base = `${env.url}/functions/v1/recommendations`;
const seed = 20261129;
const headers = { apikey: env.secretKey, "content-type": "application/json" };
const analyzer = "fuzz-recommendations-test";

/** Writes an open guidance finding (nothing to apply) straight into optimizer.findings; returns its id. */
async function insertFinding(): Promise<string> {
  const finding = testFinding(`fuzz-${crypto.randomUUID()}`);
  return await withSql((sql) => storeFinding(sql, analyzer, finding));
}

async function deleteFindings(): Promise<void> {
  await withSql((sql) => sql`delete from optimizer.findings where analyzer = ${analyzer}`);
}

/**
 * Ids as a path carries them: mostly whole numbers, the test's finding among them and the rest above every
 * id the table has given (so no other finding is read, applied or dismissed), some junk.
 */
async function findingId(existing: string): Promise<fc.Arbitrary<string>> {
  const [{ max }] = await withSql((sql) =>
    sql`select coalesce(max(id), 0)::text as max from optimizer.findings`
  );
  const above = BigInt(max) + 1_000_000n;
  return mostly(
    fc.oneof(
      fc.constant(existing),
      fc.bigInt({ min: above, max: 10n ** 19n }).map(String),
      fc.constantFrom("0", "-1", "01", "1.5", "1e3", "9223372036854775807", "9223372036854775808"),
    ),
    awkwardText,
  );
}

Deno.test("GET /recommendations never answers 5xx to generated filters", async () => {
  const listQuery = fc.record({
    system: mostly(fc.constantFrom("db", "cache", "edge", "overall"), awkwardText),
    severity: mostly(fc.constantFrom("info", "warning", "critical"), awkwardText),
    status: mostly(fc.constantFrom("open", "applied", "dismissed", "resolved"), awkwardText),
    limit: mostly(
      fc.integer({ min: 1, max: 1000 }).map(String),
      fc.constantFrom("0", "1001", "1e3", "-1", ""),
    ),
    extra: awkwardText,
  }, { requiredKeys: [] });
  await fc.assert(
    fc.asyncProperty(listQuery, async (query) => {
      for (const search of querySpellings(query as Record<string, string>)) {
        const response = await fetch(`${base}?${search}`, { headers });
        await expectNo5xx(response, `GET /recommendations?${search}`);
      }
    }),
    { seed, numRuns: 60 },
  );
});

Deno.test("GET, apply and rollback of generated finding ids never answer 5xx", async () => {
  const existing = await insertFinding();
  try {
    await fc.assert(
      fc.asyncProperty(
        await findingId(existing),
        fc.constantFrom("", "/apply", "/rollback"),
        async (id, route) => {
          const method = route === "" ? "GET" : "POST";
          for (const segment of pathSpellings(id)) {
            const response = await fetch(`${base}/${segment}${route}`, { method, headers });
            await expectNo5xx(response, `${method} /recommendations/${segment}${route}`);
            // the test's finding is guidance: there is nothing to apply or roll back
            if (route !== "") assert.notEqual(response.status, 200, `${route} of a guidance finding ${id}`);
          }
        },
      ),
      { seed, numRuns: 60 },
    );
  } finally {
    await deleteFindings();
  }
});

Deno.test("POST /:id/dismiss never answers 5xx, and stores only a valid reason", async () => {
  const existing = await insertFinding();
  const reason = mostly(
    fc.string({ minLength: 1, maxLength: 200 }).filter((text) => text.trim().length > 0),
    fc.oneof(awkwardText, fc.constantFrom("", "   ", "x".repeat(1001), "a\u0000b", "\ud800")),
  );
  const body = fc.oneof(
    { arbitrary: reason.map((text) => JSON.stringify({ reason: text })), weight: 8 },
    { arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)), weight: 1 },
    { arbitrary: awkwardText, weight: 1 },
  );
  try {
    await fc.assert(
      fc.asyncProperty(await findingId(existing), body, async (id, text) => {
        for (const segment of pathSpellings(id)) {
          const response = await fetch(`${base}/${segment}/dismiss`, { method: "POST", headers, body: text });
          await expectNo5xx(response, `POST /recommendations/${segment}/dismiss ${text.slice(0, 120)}`);
          if (response.status !== 200) continue;
          assert.equal(id, existing, "only an existing finding is dismissed");
          const stored = await withSql((sql) =>
            sql`select status, dismissed_reason from optimizer.findings where id = ${existing}`
          );
          assert.equal(stored[0].status, "dismissed");
          assert.equal(stored[0].dismissed_reason, JSON.parse(text).reason.trim());
        }
      }),
      { seed, numRuns: 80 },
    );
  } finally {
    await deleteFindings();
  }
});

Deno.test("POST /recommendations/refresh never answers 5xx to a generated `since`", async () => {
  // instants zod's ISO check takes, from the year 0 to 9999, with offsets at their limits, and some it does not
  const since = mostly(
    fc.oneof(
      anyYearInstant,
      fc.constantFrom(
        "0000-01-01T00:00:00Z",
        "0000-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59.999-23:59",
        "1970-01-01T00:00:00.123456789Z",
        new Date(Date.now() - 60_000).toISOString(),
      ),
    ),
    fc.oneof(awkwardText, fc.constantFrom("+275760-09-13T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-29")),
  );
  const query = fc.record({ since, trigger: mostly(fc.constantFrom("api", "cron"), awkwardText) }, {
    requiredKeys: [],
  });
  await fc.assert(
    fc.asyncProperty(query, async (q) => {
      for (const search of querySpellings(q as Record<string, string>)) {
        const response = await fetch(`${base}/refresh?${search}`, { method: "POST", headers });
        await expectNo5xx(response, `POST /recommendations/refresh?${search}`);
      }
    }),
    // a valid query makes a whole analysis run: few of them
    { seed, numRuns: 12 },
  );
});
