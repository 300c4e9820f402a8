import assert from "node:assert/strict";
import { createSharedCache, createSql } from "../../shared/mod.ts";

/** Argument checks, which throw before anything reaches Postgres (the client points at nothing). */

const sql = createSql({ functionName: "cache-test", url: "postgres://nobody@127.0.0.1:1/none" });
const cache = createSharedCache({ sql, namespace: "unit", onError: () => {} });
const load = () => Promise.resolve(1);

Deno.test("getOrLoad() refuses a key Postgres cannot store, saying why", () => {
  assert.throws(() => cache.getOrLoad("", load), {
    message: "cache key must be 1 to 1000 characters: got 0",
  });
  assert.throws(() => cache.getOrLoad("a\u0000", load), /cache key must not contain the NUL/);
});

Deno.test("getOrLoad() refuses a TTL that is not a whole number of ms, naming it", () => {
  assert.throws(() => cache.getOrLoad("k", load, { ttlMs: -5 }), {
    name: "RangeError",
    message: "cache ttlMs must be a whole number of ms from 1 to 2000000000: got -5",
  });
});

Deno.test("getOrLoad() refuses a stale window that is not a whole number of ms, naming it", () => {
  assert.throws(() => cache.getOrLoad("k", load, { staleMs: 0.5 }), {
    message: "cache staleMs must be a whole number of ms from 0 to 2000000000: got 0.5",
  });
});

Deno.test("getOrLoad() refuses a tag Postgres cannot store, saying why", () => {
  assert.throws(
    () => cache.getOrLoad("k", load, { tags: ["a\ud800"] }),
    /cache tag must not contain a lone UTF-16/,
  );
});

Deno.test("createSharedCache() refuses an empty namespace", () => {
  assert.throws(() => createSharedCache({ sql, namespace: "" }), {
    message: "cache namespace must be 1 to 200 characters: got 0",
  });
});
