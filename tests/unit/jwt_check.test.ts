import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createJwtVerifier } from "../../scripts/stack/jwt_check.ts";
import { generateKeys, mintUserJwt, publicJwks, signLegacyJwt } from "../../scripts/stack/keys.ts";

const keys = await generateKeys();
const verifier = createJwtVerifier(keys.jwtSecret, publicJwks(keys));
const now = new Date();
const bearer = (token: string) => `Bearer ${token}`;

Deno.test("a request without Authorization is refused like hosted: Missing authorization header", async () => {
  assert.deepEqual(await verifier.check(null, now), {
    ok: false,
    status: 401,
    message: "Missing authorization header",
  });
});

Deno.test("legacy anon and service_role keys verify with the legacy secret", async () => {
  const anon = await verifier.check(bearer(keys.anonKey), now);
  const service = await verifier.check(bearer(keys.serviceRoleKey), now);
  assert.equal(anon.ok && anon.claims.role, "anon");
  assert.equal(service.ok && service.claims.role, "service_role");
});

Deno.test("an ES256 user token verifies against the JWKS", async () => {
  const token = await mintUserJwt({
    sub: crypto.randomUUID(),
    privateJwk: keys.jwtPrivateJwk,
    issuer: "http://x/auth/v1",
  });
  const decision = await verifier.check(bearer(token), now);
  assert.equal(decision.ok && decision.claims.role, "authenticated");
});

Deno.test("an expired user token is an Invalid JWT", async () => {
  const token = await mintUserJwt({
    sub: crypto.randomUUID(),
    expiresInSeconds: -60,
    privateJwk: keys.jwtPrivateJwk,
    issuer: "http://x/auth/v1",
  });
  assert.deepEqual(await verifier.check(bearer(token), now), {
    ok: false,
    status: 401,
    message: "Invalid JWT",
  });
});

Deno.test("a token signed with another secret is an Invalid JWT", async () => {
  const forged = await signLegacyJwt("not-the-stack-secret-but-long-enough-0123456789", "service_role", 0);
  assert.deepEqual(await verifier.check(bearer(forged), now), {
    ok: false,
    status: 401,
    message: "Invalid JWT",
  });
});

Deno.test("an unsigned token (alg none) is an Invalid JWT", async () => {
  const header = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
  const payload = btoa(JSON.stringify({ role: "service_role" })).replace(/=+$/, "");
  const decision = await verifier.check(bearer(`${header}.${payload}.`), now);
  assert.equal(decision.ok, false);
});

Deno.test("an sb_ API key is not a JWT and is refused", async () => {
  assert.equal((await verifier.check(bearer(keys.secretKey), now)).ok, false);
});

Deno.test("a non-Bearer Authorization header is refused", async () => {
  const decision = await verifier.check(`Basic ${btoa("a:b")}`, now);
  assert.deepEqual(decision, { ok: false, status: 401, message: "Auth header is not 'Bearer {token}'" });
});

Deno.test("the decision uses the given time, so a token valid now is expired later", async () => {
  const token = await new SignJWT({ role: "anon" })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(Math.floor(now.getTime() / 1000) + 60)
    .sign(new TextEncoder().encode(keys.jwtSecret));
  assert.equal((await verifier.check(bearer(token), now)).ok, true);
  assert.equal((await verifier.check(bearer(token), new Date(now.getTime() + 120_000))).ok, false);
});
