/**
 * Property-based fuzzing of the optimize-system function while the database is up: whatever a caller sends to
 * its routes (a run's body and query, a run's id), the answer is never a 5xx, and nothing is changed: every
 * body either asks for a dry run or is refused (a real run would apply the other tests' findings), and a dry
 * run records nothing. Deterministic: a fixed seed and a bounded run count.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { systemModules } from "../../shared/mod.ts";
import { stackEnv } from "../support/env.ts";
import { awkwardText, expectNo5xx, mostly, pathSpellings, querySpellings } from "../support/fuzz.ts";
import { withSql } from "../support/metric_store_db.ts";

const env = stackEnv();
const base = `${env.url}/functions/v1/optimize-system`;
const seed = 20261130;
const headers = { apikey: env.secretKey, "content-type": "application/json" };

/** Whether `text` is not a JSON object. */
function notAnObject(text: string): boolean {
  try {
    const value = JSON.parse(text);
    return typeof value !== "object" || value === null || Array.isArray(value);
  } catch {
    return true;
  }
}

const systemRuns = () =>
  withSql(async (sql) => {
    const [{ n }] = await sql`select count(*)::int as n from optimizer.runs where module = 'systemWide'`;
    return n as number;
  });

Deno.test("POST /optimize-system never answers 5xx to a generated body or query, and changes nothing", async () => {
  const module = mostly(fc.constantFrom(...systemModules), awkwardText);
  const request = fc.record({
    priority: mostly(fc.constantFrom("performance", "cost", "reliability"), awkwardText),
    maxDurationMs: mostly(
      fc.integer({ min: 1, max: 60_000 }),
      fc.oneof(fc.double(), fc.constantFrom(0, -1, 600_001, 1e308, "1000")),
    ),
    targetGainPercent: mostly(
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.oneof(fc.double(), awkwardText),
    ),
    dryRun: mostly(fc.constant(true), fc.oneof(awkwardText, fc.constantFrom(1, "true", null))),
    include: mostly(fc.array(module, { maxLength: 5 }), awkwardText),
    exclude: mostly(fc.array(module, { maxLength: 5 }), awkwardText),
  }, { requiredKeys: ["dryRun"] });
  const body = fc.oneof(
    { arbitrary: request.map((value) => JSON.stringify(value)), weight: 8 },
    // any text but an object, which could ask for a real run
    { arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)).filter(notAnObject), weight: 1 },
    { arbitrary: awkwardText.filter(notAnObject), weight: 1 },
  );
  const query = fc.record({ trigger: mostly(fc.constantFrom("api", "cron"), awkwardText) }, {
    requiredKeys: [],
  });
  const before = await systemRuns();
  await fc.assert(
    fc.asyncProperty(body, query, async (text, q) => {
      for (const search of querySpellings(q as Record<string, string>)) {
        const response = await fetch(`${base}?${search}`, { method: "POST", headers, body: text });
        await expectNo5xx(response, `POST /optimize-system?${search} ${text.slice(0, 120)}`);
        if (response.status === 200) {
          assert.equal(JSON.parse(text).dryRun, true, "only a dry run goes through");
        }
      }
    }),
    { seed, numRuns: 60 },
  );
  assert.equal(await systemRuns(), before, "a dry run records no run");
});

Deno.test("GET and rollback of generated run ids never answer 5xx", async () => {
  const [{ max }] = await withSql((sql) => sql`select coalesce(max(id), 0)::text as max from optimizer.runs`);
  const id = mostly(fc.bigInt({ min: BigInt(max) + 1_000_000n, max: 10n ** 19n }).map(String), awkwardText);
  await fc.assert(
    fc.asyncProperty(id, fc.constantFrom("", "/rollback"), async (runId, route) => {
      const method = route === "" ? "GET" : "POST";
      for (const segment of pathSpellings(runId)) {
        const response = await fetch(`${base}/${segment}${route}`, { method, headers });
        await expectNo5xx(response, `${method} /optimize-system/${segment}${route}`);
        assert.notEqual(response.status, 200, `no run has id ${runId}`);
      }
    }),
    { seed, numRuns: 60 },
  );
});
