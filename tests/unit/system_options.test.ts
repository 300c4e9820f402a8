import assert from "node:assert/strict";
import { parseConfig, resolveSystemRun, SystemRunRequestSchema } from "../../shared/mod.ts";

const parse = (body: unknown) => SystemRunRequestSchema.parse(body);

Deno.test("resolveSystemRun() takes the config's priority and maxRunDurationSeconds for what the request leaves out", () => {
  const resolved = resolveSystemRun(parse({}), parseConfig({ optimization: { priority: "cost" } }));
  assert.deepEqual(resolved, {
    options: {
      priority: "cost",
      maxDurationMs: 60_000,
      targetGainPercent: null,
      dryRun: false,
      modules: ["recommendations", "warmer", "cache", "breakers", "predictive"],
    },
  });
});

Deno.test("resolveSystemRun() refuses a maxDurationMs above limits.maxRunDurationSeconds and says how to raise it", () => {
  const resolved = resolveSystemRun(parse({ maxDurationMs: 90_000 }), parseConfig({}));
  assert.deepEqual(resolved, {
    issues: [{
      path: "maxDurationMs",
      message: "must be <= limits.maxRunDurationSeconds × 1000 (60000): got 90000; raise the limit with " +
        "PUT /status/config first",
    }],
  });
});

Deno.test("resolveSystemRun() keeps the included modules less the excluded ones, in their usual order", () => {
  const resolved = resolveSystemRun(parse({ include: ["cache", "recommendations"] }), parseConfig({}));
  assert.deepEqual("options" in resolved && resolved.options.modules, ["recommendations", "cache"]);
  const excluded = resolveSystemRun(parse({ exclude: ["warmer"] }), parseConfig({}));
  assert.deepEqual("options" in excluded && excluded.options.modules, [
    "recommendations",
    "cache",
    "breakers",
    "predictive",
  ]);
});

Deno.test("SystemRunRequestSchema refuses a module both included and excluded", () => {
  const parsed = SystemRunRequestSchema.safeParse({ include: ["cache"], exclude: ["cache"] });
  assert.equal(parsed.success, false);
  assert.match(parsed.error!.issues[0].message, /cache is both included and excluded/);
});

Deno.test("SystemRunRequestSchema refuses an unknown field, priority or module", () => {
  for (
    const body of [{ prioritty: "cost" }, { priority: "speed" }, { include: ["indexes"] }, { include: [] }]
  ) {
    assert.equal(SystemRunRequestSchema.safeParse(body).success, false, JSON.stringify(body));
  }
});
