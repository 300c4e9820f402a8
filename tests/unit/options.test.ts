import assert from "node:assert/strict";
import {
  resolveGatewayOptions,
  resolveStackOptions,
  stackOptionsFromEnv,
} from "../../scripts/stack/options.ts";

Deno.test("stack defaults: Postgres on 54322, gateway on 54321, hosted-like worker timeouts", () => {
  const options = resolveStackOptions();
  assert.equal(options.pgPort, 54322);
  assert.equal(options.gatewayPort, 54321);
  assert.equal(options.workerIdleTimeoutS, 60);
  assert.equal(options.workerMaxLifetimeS, 150);
  assert.ok(options.stackDir.endsWith("/.stack"));
});

Deno.test("invalid timeouts and ports fail before anything starts, naming the option and value", () => {
  assert.throws(
    () => resolveStackOptions({ workerIdleTimeoutS: 0 }),
    /workerIdleTimeoutS must be a number of seconds > 0: got 0/,
  );
  assert.throws(
    () => resolveGatewayOptions({ port: 70000 }),
    /port must be an integer between 0 and 65535: got 70000/,
  );
});

Deno.test("a gateway may ask for any free port with 0", () => {
  assert.equal(resolveGatewayOptions({ port: 0 }).port, 0);
});

Deno.test("npm start reads worker timeouts from STACK_WORKER_* variables", () => {
  assert.deepEqual(
    stackOptionsFromEnv({ STACK_WORKER_IDLE_TIMEOUT_S: "5", STACK_WORKER_MAX_LIFETIME_S: "30" }),
    {
      workerIdleTimeoutS: 5,
      workerMaxLifetimeS: 30,
    },
  );
  assert.throws(() => stackOptionsFromEnv({ STACK_WORKER_IDLE_TIMEOUT_S: "soon" }), /got "soon"/);
});

Deno.test("STACK_PG_PORT and STACK_GATEWAY_PORT move a checkout's stack to other ports", () => {
  assert.deepEqual(stackOptionsFromEnv({ STACK_PG_PORT: "55432", STACK_GATEWAY_PORT: "55431" }), {
    pgPort: 55432,
    gatewayPort: 55431,
  });
  assert.throws(
    () => stackOptionsFromEnv({ STACK_PG_PORT: "70000" }),
    /STACK_PG_PORT must be a port.*"70000"/,
  );
});
