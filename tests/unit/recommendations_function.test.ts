import assert from "node:assert/strict";
import {
  type ConfigAccess,
  createAuthenticator,
  createRecommendationStore,
  createSql,
  parseConfig,
} from "../../shared/mod.ts";
import { createRecommendationsApp } from "../../supabase/functions/recommendations/index.ts";

/**
 * The recommendations function run in process. Its database client points at a port nothing listens on:
 * a handler that reached the database would answer 503, not what these tests expect.
 */

const secretKey = "sb_secret_in_process_test";
const sql = createSql({ functionName: "recommendations-test", url: "postgres://nobody@127.0.0.1:1/none" });

function app(config: ConfigAccess) {
  return createRecommendationsApp({
    store: createRecommendationStore(sql),
    config,
    analyzers: [],
    sql,
    authenticator: createAuthenticator({ env: { secretKeys: { default: secretKey }, publishableKeys: {} } }),
  });
}

const configWith = (input: Record<string, unknown>): ConfigAccess => ({
  readConfig: () => Promise.resolve({ config: parseConfig(input), updatedAt: null, updatedBy: null }),
  writeConfig: () => Promise.reject(new Error("the config is not written by these routes")),
});

Deno.test("POST /recommendations/refresh is a 409 that says how to turn the module on when it is off", async () => {
  const response = await app(configWith({ modules: { recommendations: false } })).fetch(
    new Request("http://local/recommendations/refresh", { method: "POST", headers: { apikey: secretKey } }),
  );
  assert.equal(response.status, 409);
  assert.match(
    (await response.json()).error,
    /modules\.recommendations is off: turn it on with PUT \/status\/config/,
  );
});

Deno.test("GET /recommendations/refresh is read as a bad finding id, not run", async () => {
  const response = await app(configWith({})).fetch(
    new Request("http://local/recommendations/refresh", { headers: { apikey: secretKey } }),
  );
  assert.equal(response.status, 400);
  assert.deepEqual((await response.json()).issues.map((issue: { path: string }) => issue.path), ["id"]);
});

/** POST /recommendations/refresh?since=`since` with the secret key, the module on. */
function refreshSince(since: string): Promise<Response> {
  return Promise.resolve(
    app(configWith({})).fetch(
      new Request(`http://local/recommendations/refresh?since=${since}`, {
        method: "POST",
        headers: { apikey: secretKey },
      }),
    ),
  );
}

Deno.test("POST /recommendations/refresh rejects a since that is not an instant, naming the field", async () => {
  const response = await refreshSince("yesterday");
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.deepEqual(body.issues.map((issue: { path: string }) => issue.path), ["since"]);
  assert.match(body.issues[0].message, /ISO 8601 instant/);
});

Deno.test("POST /recommendations/refresh rejects a since in the future before reading anything", async () => {
  const response = await refreshSince("2999-01-01T00:00:00Z");
  assert.equal(response.status, 400);
  assert.match((await response.json()).error, /since must be earlier than now .*: got 2999-01-01T00:00:00Z/);
});
