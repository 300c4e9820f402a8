import assert from "node:assert/strict";
import { cached } from "../../shared/config/cached.ts";

Deno.test("cached() loads once per ttl and again after it", async () => {
  let loads = 0;
  let time = 0;
  const get = cached(() => Promise.resolve(++loads), 1000, () => time);
  assert.equal(await get(), 1);
  time = 999;
  assert.equal(await get(), 1);
  time = 1000;
  assert.equal(await get(), 2);
});

Deno.test("cached() does not keep a failed load", async () => {
  let fail = true;
  const get = cached(() => (fail ? Promise.reject(new Error("db down")) : Promise.resolve("ok")), 60_000);
  await assert.rejects(get(), /db down/);
  fail = false;
  assert.equal(await get(), "ok");
});
