import assert from "node:assert/strict";
import { isDatabaseUnavailable } from "../../shared/db/database_unavailable.ts";

Deno.test("isDatabaseUnavailable() recognises lost connections, shutdowns, full pools and statement timeouts", () => {
  for (
    const code of ["ECONNREFUSED", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "08006", "53300", "57014", "57P01"]
  ) {
    assert.equal(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), true, code);
  }
});

Deno.test("isDatabaseUnavailable() leaves errors of the request or the code alone", () => {
  for (const code of ["23505", "42P01", "22P02", undefined]) {
    assert.equal(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), false, String(code));
  }
  assert.equal(isDatabaseUnavailable(null), false);
  assert.equal(isDatabaseUnavailable("ECONNREFUSED"), false);
});
