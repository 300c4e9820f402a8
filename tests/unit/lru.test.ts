import assert from "node:assert/strict";
import { Lru } from "../../shared/cache/lru.ts";

Deno.test("Lru evicts the least recently used entry beyond maxEntries", () => {
  const lru = new Lru<number>(2, 1000);
  lru.set("a", 1, 10);
  lru.set("b", 2, 10);
  lru.get("a");
  lru.set("c", 3, 10);
  assert.deepEqual([lru.get("a"), lru.get("b"), lru.get("c")], [1, undefined, 3]);
});

Deno.test("Lru evicts the least recently used entries beyond maxBytes", () => {
  const lru = new Lru<string>(10, 100);
  lru.set("a", "x", 40);
  lru.set("b", "y", 40);
  lru.set("c", "z", 40);
  assert.deepEqual({ size: lru.size, bytes: lru.bytes, a: lru.get("a") }, {
    size: 2,
    bytes: 80,
    a: undefined,
  });
});

Deno.test("Lru keeps nothing larger than maxBytes, and drops what the key held", () => {
  const lru = new Lru<string>(10, 100);
  lru.set("a", "small", 10);
  lru.set("a", "huge", 101);
  assert.deepEqual({ size: lru.size, bytes: lru.bytes, a: lru.get("a") }, {
    size: 0,
    bytes: 0,
    a: undefined,
  });
});

Deno.test("Lru refuses bounds that are not counts", () => {
  assert.throws(() => new Lru(-1, 10), { message: "maxEntries must be a whole number >= 0: got -1" });
});
