import assert from "node:assert/strict";
import { loadFunctionsConfig } from "../../scripts/stack/functions_config.ts";
import { projectFunctionsConfig } from "../../bench/harness/suite_warmer.ts";

const repo = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("projectFunctionsConfig() serves the suite's functions and the app's with their own settings", async () => {
  const config = await projectFunctionsConfig();
  try {
    const project = await loadFunctionsConfig(config.path);
    const suite = await loadFunctionsConfig(`${repo}/supabase/config.toml`);
    const app = await loadFunctionsConfig(`${repo}/bench/reference_app/config.toml`);
    assert.deepEqual(
      [...project.keys()].sort(),
      [...suite.keys(), ...app.keys()].sort(),
    );
    for (const [name, settings] of [...suite, ...app]) assert.deepEqual(project.get(name), settings, name);
  } finally {
    await config.remove();
  }
});
