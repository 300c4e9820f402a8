import assert from "node:assert/strict";
import { defaultConfig } from "../../shared/config/config.ts";

/**
 * The SQL jobs read retention from optimizer.config and fall back to literal defaults when a key is absent.
 * Those literals must be the zod schema's defaults, or a fresh project would keep data for other periods
 * than the documented ones.
 */
Deno.test("SQL retention fallbacks equal the OptimizationConfig defaults", async () => {
  const migrations = [];
  for await (const entry of Deno.readDir(new URL("../../supabase/migrations/", import.meta.url))) {
    migrations.push(
      await Deno.readTextFile(new URL(`../../supabase/migrations/${entry.name}`, import.meta.url)),
    );
  }
  const calls = [...migrations.join("\n").matchAll(/retention_days\('(\w+)',\s*(\d+)\)/g)];
  assert.ok(calls.length >= 4, "every retention setting is read through optimizer.retention_days()");
  for (const [, setting, fallback] of calls) {
    assert.ok(
      setting in defaultConfig.retention,
      `${setting} is not a retention setting of OptimizationConfig`,
    );
    assert.equal(
      Number(fallback),
      defaultConfig.retention[setting as keyof typeof defaultConfig.retention],
      `the SQL fallback for ${setting}`,
    );
  }
});
