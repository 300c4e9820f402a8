import assert from "node:assert/strict";
import { cacheGroups } from "../../scripts/stack/module_cache.ts";
import { bootstrapPath } from "../../scripts/stack/worker.ts";
import { toFileUrl } from "../../scripts/stack/paths.ts";

const bootstrap = toFileUrl(bootstrapPath);

Deno.test("cacheGroups() caches functions that resolve alike with one deno cache, bootstrap included", () => {
  const groups = cacheGroups([
    { cwd: "/r", configFile: "/r/import_map.json", entrypoint: "/r/supabase/functions/a/index.ts" },
    { cwd: "/r", configFile: "/r/import_map.json", entrypoint: "/r/supabase/functions/b/index.ts" },
  ]);
  assert.deepEqual(groups, [{
    cwd: "/r",
    flags: ["--no-config", "--node-modules-dir=none", "--import-map", "/r/import_map.json"],
    modules: [
      bootstrap,
      "file:///r/supabase/functions/a/index.ts",
      "file:///r/supabase/functions/b/index.ts",
    ],
  }]);
});

Deno.test("cacheGroups() separates functions with other config files or working folders", () => {
  const groups = cacheGroups([
    { cwd: "/r", configFile: "/r/import_map.json", entrypoint: "/r/f/a/index.ts" },
    { cwd: "/r", configFile: "/r/f/b/deno.json", entrypoint: "/r/f/b/index.ts" },
    { cwd: "/r", configFile: null, entrypoint: "/r/f/c/index.ts" },
    { cwd: "/r/bench", configFile: "/r/import_map.json", entrypoint: "/r/bench/d/index.ts" },
  ]);
  assert.deepEqual(groups.map((group) => [group.cwd, group.flags.join(" ")]), [
    ["/r", "--no-config --node-modules-dir=none --import-map /r/import_map.json"],
    ["/r", "--config /r/f/b/deno.json"],
    ["/r", ""],
    ["/r/bench", "--no-config --node-modules-dir=none --import-map /r/import_map.json"],
  ]);
});

Deno.test("cacheGroups() lists an entrypoint shared by two functions once", () => {
  const [group] = cacheGroups([
    { cwd: "/r", configFile: null, entrypoint: "/r/f/echo/index.ts" },
    { cwd: "/r", configFile: null, entrypoint: "/r/f/echo/index.ts" },
  ]);
  assert.deepEqual(group.modules, [bootstrap, "file:///r/f/echo/index.ts"]);
});
