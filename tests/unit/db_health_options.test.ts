import assert from "node:assert/strict";
import { dbHealthDefaults, resolveDbHealthOptions } from "../../shared/db_health/db_health_options.ts";
import { createDbHealthAnalyzer } from "../../shared/db_health/db_health_analyzer.ts";

Deno.test("resolveDbHealthOptions() fills every omitted option with its default", () => {
  assert.deepEqual(resolveDbHealthOptions({ minBloatRatio: 0.5 }), {
    ...dbHealthDefaults,
    minBloatRatio: 0.5,
  });
});

Deno.test("resolveDbHealthOptions() leaves out the suite's and Supabase's managed schemas by default", () => {
  const { excludedSchemas } = resolveDbHealthOptions();
  for (const schema of ["optimizer", "auth", "storage", "extensions", "cron", "vault", "net"]) {
    assert.ok(excludedSchemas.includes(schema), schema);
  }
  assert.ok(!excludedSchemas.includes("public"));
});

Deno.test("resolveDbHealthOptions() refuses bad thresholds, naming the option and value", () => {
  assert.throws(
    () => resolveDbHealthOptions({ minBloatBytes: -1 }),
    /minBloatBytes must be a number >= 0: got -1/,
  );
  assert.throws(
    () => resolveDbHealthOptions({ minBloatRatio: 1.5 }),
    /minBloatRatio must be a ratio in \(0, 1\]: got 1.5/,
  );
  assert.throws(
    () => resolveDbHealthOptions({ minCacheBlocks: 0 }),
    /minCacheBlocks must be a number >= 1: got 0/,
  );
  assert.throws(
    () => resolveDbHealthOptions({ connectionsWarningRatio: 0.9, connectionsCriticalRatio: 0.5 }),
    /connectionsCriticalRatio must be >= connectionsWarningRatio \(0.9\): got 0.5/,
  );
  assert.throws(
    () => resolveDbHealthOptions({ excludedSchemas: [""] }),
    /excludedSchemas must hold schema names/,
  );
});

Deno.test("createDbHealthAnalyzer() validates its options when made, before any run", () => {
  assert.throws(
    () => createDbHealthAnalyzer({ longRunningQuerySeconds: Number.NaN }),
    /longRunningQuerySeconds/,
  );
  assert.equal(createDbHealthAnalyzer().name, "db-health");
});
