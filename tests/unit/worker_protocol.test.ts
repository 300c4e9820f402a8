import assert from "node:assert/strict";
import { parsePortAnnouncement, portAnnouncement } from "../../scripts/stack/worker_protocol.ts";
import { workerArgs } from "../../scripts/stack/worker.ts";

Deno.test("the port a worker announces is read back from its stdout line", () => {
  assert.equal(parsePortAnnouncement(portAnnouncement(43210)), 43210);
});

Deno.test("ordinary function output is not mistaken for a port announcement", () => {
  assert.equal(parsePortAnnouncement("Listening on http://0.0.0.0:8000/"), null);
});

Deno.test("a worker runs the bootstrap with the function's deno.json as --config, an import map as --import-map", () => {
  const withConfig = workerArgs({ entrypoint: "/r/f/index.ts", configFile: "/r/f/deno.json" });
  const withMap = workerArgs({ entrypoint: "/r/f/index.ts", configFile: "/r/import_map.json" });
  assert.deepEqual(withConfig.slice(3, 5), ["--config", "/r/f/deno.json"]);
  assert.deepEqual(withMap.slice(3, 7), [
    "--no-config",
    "--node-modules-dir=none",
    "--import-map",
    "/r/import_map.json",
  ]);
  assert.equal(withMap.at(-1), "file:///r/f/index.ts");
});
