import assert from "node:assert/strict";
import { UserPurgeParamsSchema } from "../../shared/metrics/metric_purge.ts";

Deno.test("UserPurgeParamsSchema takes a JWT sub as it is", () => {
  for (const userId of ["6f1c2a8e-1b7d-4f7a-9a51-3c0e2d9b7c11", "auth0|5f7c8ec7c33c6c004bbafe82", "é"]) {
    assert.deepEqual(UserPurgeParamsSchema.parse({ userId }), { userId });
  }
});

Deno.test("UserPurgeParamsSchema refuses empty, over-long and control-character ids, naming why", () => {
  const message = (userId: string) => UserPurgeParamsSchema.safeParse({ userId }).error?.issues[0].message;
  assert.equal(message(""), "must be the user's id (the sub of their JWT)");
  assert.equal(message("x".repeat(256)), "must be at most 255 characters");
  assert.equal(message("a\nb"), "must not contain control characters");
});
