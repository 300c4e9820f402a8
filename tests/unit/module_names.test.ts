import assert from "node:assert/strict";
import { moduleNames } from "../../shared/config/config.ts";

/**
 * SQL cannot import shared/config/config.ts, so optimizer.module_names() restates the module list. The newest
 * migration that defines it must list exactly ModulesSchema's keys, in order, or the run log would refuse a
 * module's runs and status would leave it without a last run.
 */
Deno.test("optimizer.module_names() lists the modules of OptimizationConfig", async () => {
  const directory = new URL("../../supabase/migrations/", import.meta.url);
  const files = [];
  for await (const entry of Deno.readDir(directory)) files.push(entry.name);
  const definitions = [];
  for (const name of files.sort()) {
    const text = await Deno.readTextFile(new URL(name, directory));
    const pattern = /function optimizer\.module_names\(\)[\s\S]*?array\[([^\]]*)\]/g;
    for (const [, list] of text.matchAll(pattern)) definitions.push({ name, list });
  }
  assert.ok(definitions.length > 0, "a migration defines optimizer.module_names()");
  const newest = definitions.at(-1)!;
  const names = [...newest.list.matchAll(/'(\w+)'/g)].map(([, name]) => name);
  assert.deepEqual(names, moduleNames, `the list in ${newest.name}`);
});
