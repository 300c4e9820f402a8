/**
 * Property-based fuzzing of the status function while the database is up: whatever a caller sends to
 * PUT /status/config, the answer is never a 5xx, and whatever config it accepts, the routes that read the
 * config (GET /status, GET /warmer/plan) keep answering without one: a setting at the edge of its range must
 * not turn every later report into an error. The config in force before the test is put back after it.
 * Deterministic: a fixed seed and a bounded run count.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stackEnv } from "../support/env.ts";
import { awkwardText, expectNo5xx, mostly } from "../support/fuzz.ts";

const env = stackEnv();
const seed = 20261129;
const headers = { apikey: env.secretKey, "content-type": "application/json" };

/** Whole numbers of a setting's range, its edges often. */
const whole = (min: number, max: number) =>
  fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max: Math.min(max, Number.MAX_SAFE_INTEGER) }));
/** Numbers of a setting's range, its edges and the tiniest fraction above its floor often. */
const real = (min: number, max: number) =>
  fc.oneof(
    fc.constantFrom(min, max, min + 1e-9),
    fc.double({ min, max, noNaN: true, noDefaultInfinity: true }),
  );

/** Every setting with values from its whole range (shared/config/config.ts), so most configs are accepted. */
const settings = {
  modules: Object.fromEntries(
    ["monitoring", "recommendations", "predictive", "warmer", "cache", "systemWide"].map((
      m,
    ) => [m, fc.boolean()]),
  ),
  intervals: Object.fromEntries(
    [
      "snapshotMinutes",
      "recommendationsMinutes",
      "predictiveMinutes",
      "warmerMinutes",
      "cacheMinutes",
      "systemWideMinutes",
    ].map((name) => [name, whole(1, 24 * 60)]),
  ),
  limits: {
    warmPingsPerHour: whole(0, 100_000),
    maxIndexesPerTable: whole(0, 64),
    maxTotalIndexSizeMb: real(0, Number.MAX_VALUE),
    maxRunDurationSeconds: whole(1, 600),
    cacheSizeBudgetMb: real(0, 256),
  },
  alerts: {
    slowQueryMs: real(1e-9, Number.MAX_VALUE),
    p95LatencyMs: real(1e-9, Number.MAX_VALUE),
    errorRate: real(0, 1),
    coldStartRate: real(0, 1),
    minCacheHitRate: real(0, 1),
    pipelineStaleMinutes: whole(1, Number.MAX_SAFE_INTEGER),
  },
  recommendations: { unusedIndexMinDays: real(1e-9, 365) },
  retention: {
    rawEventsDays: whole(1, 90),
    rollupDays: whole(1, 730),
    hourlyRollupDays: whole(1, 3650),
    snapshotDays: whole(1, 365),
    runDays: whole(1, 365),
  },
  ingest: {
    userWindowMinutes: whole(1, 60),
    userEventsPerMinute: whole(1, 1_000_000),
    allowAnonymous: fc.boolean(),
  },
  optimization: { priority: fc.constantFrom("performance", "cost", "reliability") },
  platform: { workerLifetimeSeconds: whole(1, 3600), workerIdleTimeoutSeconds: whole(1, 3600) },
};

/** Some settings of some sections; now and then a section with a value of the wrong kind or a stray key. */
const config = fc.record(
  Object.fromEntries(
    Object.entries(settings).map(([name, section]) => [
      name,
      mostly(
        fc.record(section as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }),
        fc.dictionary(awkwardText, fc.oneof(awkwardText, fc.double(), fc.constantFrom(-1, null)), {
          maxKeys: 2,
        }),
      ),
    ]),
  ),
  { requiredKeys: [] },
);

const body = fc.oneof(
  { arbitrary: config.map((value) => JSON.stringify(value)), weight: 8 },
  // JSON.stringify writes 1e309 as null; a client can send the number itself
  {
    arbitrary: fc.constantFrom('{"alerts":{"slowQueryMs":1e309}}', '{"limits":{"cacheSizeBudgetMb":-0.0}}'),
    weight: 1,
  },
  { arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)), weight: 1 },
  { arbitrary: awkwardText, weight: 1 },
);

Deno.test("PUT /status/config never answers 5xx, and no config it accepts makes the status or the warm plan fail", async () => {
  const before = await fetch(`${env.url}/functions/v1/status/config`, { headers });
  assert.equal(before.status, 200, await before.clone().text());
  const { config: original } = await before.json();
  let accepted = 0;
  try {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const put = await fetch(`${env.url}/functions/v1/status/config`, {
          method: "PUT",
          headers,
          body: text,
        });
        await expectNo5xx(put, `PUT /status/config ${text.slice(0, 200)}`);
        if (put.status !== 200) return;
        accepted++;
        for (const route of ["status", "warmer/plan"]) {
          const response = await fetch(`${env.url}/functions/v1/${route}`, { headers });
          await expectNo5xx(response, `GET /${route} after PUT /status/config ${text.slice(0, 200)}`);
          assert.equal(response.status, 200, `GET /${route} after PUT /status/config ${text.slice(0, 200)}`);
        }
      }),
      { seed, numRuns: 60 },
    );
  } finally {
    const restore = await fetch(`${env.url}/functions/v1/status/config`, {
      method: "PUT",
      headers,
      body: JSON.stringify(original),
    });
    assert.equal(restore.status, 200, await restore.text());
  }
  assert.ok(
    accepted >= 10,
    `most generated configs should pass validation and reach the store: ${accepted} did`,
  );
});
