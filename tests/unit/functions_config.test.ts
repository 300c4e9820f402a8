import assert from "node:assert/strict";
import { chooseConfigFile, parseFunctionsConfig } from "../../scripts/stack/functions_config.ts";

const toml = `
project_id = "x"

[functions.metrics]
verify_jwt = false
import_map = "../import_map.json"
entrypoint = "./functions/metrics/index.ts"

[functions.plain]

[functions.off]
enabled = false
`;

Deno.test("config.toml function blocks resolve paths relative to the supabase folder", () => {
  const functions = parseFunctionsConfig(toml, "/repo/supabase");
  assert.deepEqual(functions.get("metrics"), {
    name: "metrics",
    enabled: true,
    verifyJwt: false,
    entrypoint: "/repo/supabase/functions/metrics/index.ts",
    importMap: "/repo/import_map.json",
  });
});

Deno.test("a function block without settings gets the CLI defaults: enabled, verify_jwt on, functions/NAME/index.ts", () => {
  const plain = parseFunctionsConfig(toml, "/repo/supabase").get("plain");
  assert.deepEqual(plain, {
    name: "plain",
    enabled: true,
    verifyJwt: true,
    entrypoint: "/repo/supabase/functions/plain/index.ts",
    importMap: null,
  });
});

Deno.test("enabled = false is kept so the gateway can answer 404", () => {
  assert.equal(parseFunctionsConfig(toml, "/r/supabase").get("off")?.enabled, false);
});

Deno.test("a config without functions declares none", () => {
  assert.equal(parseFunctionsConfig('project_id = "x"\n', "/r/supabase").size, 0);
});

Deno.test("a wrongly typed setting is rejected with the block and the value", () => {
  assert.throws(
    () => parseFunctionsConfig('[functions.a]\nverify_jwt = "no"\n', "/r/supabase"),
    /\[functions\.a\] verify_jwt must be a boolean: got "no"/,
  );
});

Deno.test("a per-function deno.json wins over the configured import map", () => {
  const settings = parseFunctionsConfig(toml, "/repo/supabase").get("metrics")!;
  assert.equal(
    chooseConfigFile(settings, ["index.ts", "deno.json"]),
    "/repo/supabase/functions/metrics/deno.json",
  );
  assert.equal(chooseConfigFile(settings, ["index.ts"]), "/repo/import_map.json");
});
