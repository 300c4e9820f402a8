import assert from "node:assert/strict";
import {
  createRng,
  exponential,
  normal,
  normalFromUniforms,
  poisson,
  streamRng,
  Zipf,
} from "../../bench/trace/prng.ts";

Deno.test("a seed reproduces the same stream; nearby seeds and named streams differ", () => {
  const draw = (rng: () => number) => Array.from({ length: 5 }, rng);
  assert.deepEqual(draw(createRng(1)), draw(createRng(1)));
  assert.notDeepEqual(draw(createRng(1)), draw(createRng(2)));
  assert.notDeepEqual(draw(streamRng(1, "outages")), draw(streamRng(1, "news")));
});

Deno.test("draws are uniform in [0, 1)", () => {
  const rng = createRng(9);
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const u = rng();
    assert.ok(u >= 0 && u < 1);
    buckets[Math.floor(u * 10)]++;
  }
  for (const count of buckets) assert.ok(Math.abs(count - 10_000) < 400, `${buckets}`);
});

Deno.test("Poisson and exponential draws have the asked-for mean, small and large", () => {
  const rng = createRng(4);
  for (const mean of [0.3, 5, 200]) {
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += poisson(rng, mean);
    assert.ok(Math.abs(sum / 20_000 - mean) < 0.03 * mean + 0.02, `poisson ${mean}: ${sum / 20_000}`);
  }
  let sum = 0;
  for (let i = 0; i < 20_000; i++) sum += exponential(rng, 15_000);
  assert.ok(Math.abs(sum / 20_000 - 15_000) < 450);
});

Deno.test("Zipf rank 0 is drawn about 2^s times as often as rank 1, for any list length", () => {
  const rng = createRng(5);
  const zipf = new Zipf(1);
  const counts = new Array(50).fill(0);
  for (let i = 0; i < 50_000; i++) counts[zipf.draw(rng, 50)]++;
  assert.ok(Math.abs(counts[0] / counts[1] - 2) < 0.15, `${counts[0]} / ${counts[1]}`);
  for (let i = 0; i < 1000; i++) assert.ok(zipf.draw(rng, 3) < 3);
});

Deno.test("normal() draws a standard normal: mean 0, standard deviation 1, repeatable under a seed", () => {
  const rng = createRng(17);
  const draws = Array.from({ length: 100_000 }, () => normal(rng));
  const mean = draws.reduce((sum, x) => sum + x, 0) / draws.length;
  const sd = Math.sqrt(draws.reduce((sum, x) => sum + (x - mean) ** 2, 0) / draws.length);
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.02, `sd ${sd}`);
  assert.equal(normal(createRng(5)), normal(createRng(5)));
});

Deno.test("normalFromUniforms() is the Box-Muller transform", () => {
  assert.equal(normalFromUniforms(1, 0.3), 0);
  assert.ok(Math.abs(normalFromUniforms(Math.exp(-0.5), 0) - 1) < 1e-12);
  assert.ok(Math.abs(normalFromUniforms(Math.exp(-2), 0.5) + 2) < 1e-12);
});
