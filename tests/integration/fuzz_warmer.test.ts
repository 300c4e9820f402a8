/**
 * Property-based fuzzing of the warmer function while the database is up: whatever a caller sends to
 * PUT /warmer/targets/:name or PUT /warmer/loaders/:namespace, the answer is never a 5xx, and only a valid
 * name and body register anything.
 * Deterministic: a fixed seed and a bounded run count.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stackEnv } from "../support/env.ts";
import { awkwardText, expectNo5xx, mostly, pathSpellings } from "../support/fuzz.ts";
import { withSql } from "../support/metric_store_db.ts";

const env = stackEnv();
const seed = 20261128;
const validName = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

const name = mostly(fc.stringMatching(/^fuzz-[a-z0-9]{1,20}$/), awkwardText);
const body = fc.oneof(
  fc.record({ enabled: fc.boolean() }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  awkwardText,
);

Deno.test("PUT /warmer/targets/:name never answers 5xx to generated names and bodies", async () => {
  const registered: string[] = [];
  try {
    await fc.assert(
      fc.asyncProperty(name, body, async (target, text) => {
        for (const segment of pathSpellings(target)) {
          const response = await fetch(`${env.url}/functions/v1/warmer/targets/${segment}`, {
            method: "PUT",
            headers: { apikey: env.secretKey, "content-type": "application/json" },
            body: text,
          });
          await expectNo5xx(response, `PUT /warmer/targets/${segment} ${text.slice(0, 80)}`);
          if (response.status === 200) {
            assert.match(target, validName, "only a function name registers");
            registered.push(target);
          }
        }
      }),
      { seed, numRuns: 80 },
    );
  } finally {
    await withSql((sql) => sql`delete from optimizer.warm_targets where function_name = any(${registered})`);
  }
});

// Function names near what the route takes: most name no function (422), some are no function name (400),
// and `optimizer.cache_evict` exists but takes no text (422).
const loaderFunction = fc.oneof(
  fc.stringMatching(/^[a-z_]{1,8}\.[a-z_]{1,8}$/),
  fc.constantFrom("optimizer.cache_evict", "pg_catalog.now", "public.x$y", "a.b.c", '"public"."f"'),
  awkwardText,
);
// Endpoints near what the route takes: paths under /functions/v1/, and some that are not.
const loaderEndpoint = fc.oneof(
  fc.stringMatching(/^[a-z][a-z-]{0,10}(\/[a-z0-9.]{1,8}){0,2}$/),
  fc.constantFrom("../x", "a//b", "/lead", "a/b?c", "a/%2e%2e"),
  awkwardText,
);
const loaderBody = fc.oneof(
  fc.record({ function: loaderFunction, endpoint: loaderEndpoint, enabled: fc.boolean() }, {
    requiredKeys: [],
  }).map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  awkwardText,
);
const validEndpoint = /^[A-Za-z][A-Za-z0-9_-]{0,62}(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,99}){0,8}$/;

/** Whether `text` registers an app endpoint: no generated function is a loader, so only an endpoint can. */
function registersEndpoint(text: string): boolean {
  try {
    const body = JSON.parse(text);
    return body.function === undefined && typeof body.endpoint === "string" &&
      validEndpoint.test(body.endpoint);
  } catch {
    return false;
  }
}

Deno.test("PUT /warmer/loaders/:namespace never answers 5xx to generated namespaces and bodies", async () => {
  const registered: string[] = [];
  try {
    await fc.assert(
      fc.asyncProperty(
        mostly(fc.stringMatching(/^fuzz\.[a-z0-9]{1,20}$/), awkwardText),
        loaderBody,
        async (ns, text) => {
          for (const segment of pathSpellings(ns)) {
            const response = await fetch(`${env.url}/functions/v1/warmer/loaders/${segment}`, {
              method: "PUT",
              headers: { apikey: env.secretKey, "content-type": "application/json" },
              body: text,
            });
            await expectNo5xx(response, `PUT /warmer/loaders/${segment} ${text.slice(0, 80)}`);
            if (response.status === 200) {
              registered.push(ns);
              assert.ok(registersEndpoint(text), `only a valid endpoint registers: ${text}`);
            }
          }
        },
      ),
      { seed, numRuns: 80 },
    );
  } finally {
    await withSql((sql) => sql`delete from optimizer.cache_loaders where namespace = any(${registered})`);
  }
});
