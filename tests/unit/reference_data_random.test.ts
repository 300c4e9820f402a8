import assert from "node:assert/strict";
import {
  apportion,
  mixSeed,
  permutation,
  streamOf,
  uuid,
  zipfWeights,
} from "../../bench/reference_app/data/random.ts";
import { createRng, cumulativeOf, pickCumulative } from "../../bench/trace/prng.ts";

Deno.test("mixSeed gives distinct streams for distinct parts, including large indexes", () => {
  const seeds = new Set<number>();
  for (let i = 0; i < 10_000; i++) seeds.add(mixSeed(1, 5, i));
  assert.equal(seeds.size, 10_000);
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
  assert.notEqual(mixSeed(1, 2 ** 32), mixSeed(1, 0));
});

Deno.test("uuid() gives version-4 UUIDs, the same ones for the same stream", () => {
  const id = uuid(streamOf(1, 2, 3));
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(uuid(streamOf(1, 2, 3)), id);
});

Deno.test("apportion() splits a total exactly, in proportion, under caps", () => {
  const counts = apportion(10, [1, 1, 2]);
  assert.deepEqual([...counts], [3, 2, 5]);
  const capped = apportion(100, [10, 1, 1], [20, 1000, 1000]);
  assert.equal(capped[0], 20);
  assert.equal(capped.reduce((a, b) => a + b, 0), 100);
  assert.deepEqual([...apportion(5, [0, 0])], [3, 2]);
  assert.throws(() => apportion(10, [1, 1], [2, 2]), /cannot split 10 under caps that hold 4/);
});

Deno.test("zipfWeights sum to 1 and fall with rank; pickCumulative() follows them", () => {
  const weights = zipfWeights(10, 1);
  assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(weights[0] > weights[1] && weights[1] > weights[9]);
  const random = createRng(7);
  const sums = cumulativeOf(weights);
  const hits = new Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) hits[pickCumulative(random, sums)]++;
  assert.ok(hits[0] > 5 * hits[9], `hits ${hits}`);
});

Deno.test("permutation() contains every index once", () => {
  const order = permutation(createRng(3), 100);
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
});
