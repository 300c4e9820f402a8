import assert from "node:assert/strict";
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import {
  authenticate,
  type AuthEnv,
  authEnvFromEnv,
  type AuthMode,
  createAuthenticator,
  SigningKeysUnavailableError,
  timingSafeEqual,
} from "../../shared/http/auth.ts";

const now = new Date("2025-06-01T12:00:00Z");
const nowSeconds = Math.floor(now.getTime() / 1000);

const projectKey = await generateKeyPair("ES256", { extractable: true });
const otherKey = await generateKeyPair("ES256", { extractable: true });
const kid = "project-key-1";
const publicJwk: JWK = { ...(await exportJWK(projectKey.publicKey)), kid, alg: "ES256", use: "sig" };

const env: AuthEnv = {
  publishableKeys: { default: "sb_publishable_abc" },
  secretKeys: { default: "sb_secret_xyz", ci: "sb_secret_ci" },
  anonKey: "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.anon-signature",
  serviceRoleKey: "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.service-signature",
  jwks: { keys: [publicJwk] },
};
const keys = createLocalJWKSet(env.jwks!);

interface TokenOptions {
  key?: CryptoKey;
  kid?: string;
  sub?: string | null;
  exp?: number;
  aud?: string;
}

async function userJwt(options: TokenOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = { role: "authenticated", aud: options.aud ?? "authenticated" };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: options.kid ?? kid, typ: "JWT" })
    .setIssuedAt(nowSeconds - 60)
    .setExpirationTime(options.exp ?? nowSeconds + 3600);
  if (options.sub !== null) jwt.setSubject(options.sub ?? "6b1f8a52-3f7e-4c55-a0a4-2b4f2d5e9c11");
  return await jwt.sign(options.key ?? projectKey.privateKey);
}

function decide(headers: Record<string, string>, allowed: AuthMode[]) {
  return authenticate({ headers: new Headers(headers), allowed, env, now, keys });
}

Deno.test("authenticate() accepts a secret key in the apikey header and names it", async () => {
  const decision = await decide({ apikey: "sb_secret_ci" }, ["secret"]);
  assert.deepEqual(decision, { ok: true, auth: { mode: "secret", keyName: "ci" } });
});

Deno.test("authenticate() accepts the legacy service_role key in apikey or Authorization as secret", async () => {
  const variants: Record<string, string>[] = [
    { apikey: env.serviceRoleKey! },
    { authorization: `Bearer ${env.serviceRoleKey}` },
  ];
  for (const headers of variants) {
    const decision = await decide(headers, ["secret"]);
    assert.deepEqual(decision, { ok: true, auth: { mode: "secret", keyName: "service_role" } });
  }
});

Deno.test("authenticate() treats the legacy anon key like a publishable key", async () => {
  const headers = { apikey: env.anonKey!, authorization: `Bearer ${env.anonKey}` };
  assert.deepEqual(await decide(headers, ["publishable"]), {
    ok: true,
    auth: { mode: "publishable", keyName: "anon" },
  });
  const refused = await decide(headers, ["secret"]);
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.status, 403);
});

Deno.test("authenticate() verifies a user JWT against the JWKS and returns its sub and claims", async () => {
  const decision = await decide(
    { apikey: "sb_publishable_abc", authorization: `Bearer ${await userJwt()}` },
    ["secret", "user"],
  );
  assert.ok(decision.ok);
  assert.equal(decision.auth.mode, "user");
  assert.equal(decision.auth.userId, "6b1f8a52-3f7e-4c55-a0a4-2b4f2d5e9c11");
  assert.equal(decision.auth.claims?.role, "authenticated");
});

Deno.test("authenticate() answers 401 for an expired JWT, even beside a good publishable key", async () => {
  const token = await userJwt({ exp: nowSeconds - 120 });
  const decision = await decide({ apikey: "sb_publishable_abc", authorization: `Bearer ${token}` }, ["user"]);
  assert.deepEqual(decision, {
    ok: false,
    status: 401,
    error: "JWT has expired: refresh the session and retry",
  });
});

Deno.test("authenticate() answers 401 for a JWT signed by another key under the project's kid", async () => {
  const decision = await decide({ authorization: `Bearer ${await userJwt({ key: otherKey.privateKey })}` }, [
    "user",
  ]);
  assert.equal(decision.ok, false);
  assert.equal(!decision.ok && decision.status, 401);
  assert.match(!decision.ok ? decision.error : "", /signature does not verify/);
});

Deno.test("authenticate() answers 401 for a JWT whose kid is not in the JWKS", async () => {
  const decision = await decide({ authorization: `Bearer ${await userJwt({ kid: "unknown" })}` }, ["user"]);
  assert.match(!decision.ok ? decision.error : "", /not signed by a signing key of this project/);
});

Deno.test("authenticate() refuses HS256 tokens: user JWTs must use the project's asymmetric keys", async () => {
  const token = await new SignJWT({ role: "authenticated", aud: "authenticated" })
    .setProtectedHeader({ alg: "HS256", kid })
    .setSubject("someone")
    .setExpirationTime(nowSeconds + 60)
    .sign(new TextEncoder().encode("a-guessed-shared-secret-of-32-bytes!!"));
  const decision = await decide({ authorization: `Bearer ${token}` }, ["user"]);
  assert.equal(!decision.ok && decision.status, 401);
});

Deno.test("authenticate() answers 401 for a JWT without sub or with another audience", async () => {
  const noSub = await decide({ authorization: `Bearer ${await userJwt({ sub: null })}` }, ["user"]);
  assert.match(!noSub.ok ? noSub.error : "", /claim 'sub'/);
  const otherAudience = await decide({ authorization: `Bearer ${await userJwt({ aud: "other" })}` }, [
    "user",
  ]);
  assert.match(!otherAudience.ok ? otherAudience.error : "", /claim 'aud'/);
});

Deno.test("authenticate() answers 401 for an unknown apikey even when the JWT beside it is valid", async () => {
  const decision = await decide({ apikey: "sb_secret_guess", authorization: `Bearer ${await userJwt()}` }, [
    "user",
  ]);
  assert.deepEqual(decision, {
    ok: false,
    status: 401,
    error: "apikey header is not an API key of this project",
  });
});

Deno.test("authenticate() does not let a good secret key cover a forged JWT", async () => {
  const forged = await userJwt({ key: otherKey.privateKey });
  const decision = await decide({ apikey: "sb_secret_xyz", authorization: `Bearer ${forged}` }, ["secret"]);
  assert.equal(!decision.ok && decision.status, 401);
});

Deno.test("authenticate() answers 401 without credentials, naming what the route accepts", async () => {
  const decision = await decide({}, ["secret", "user"]);
  assert.equal(!decision.ok && decision.status, 401);
  assert.match(
    !decision.ok ? decision.error : "",
    /missing credentials: send a secret key .* or a user session JWT/,
  );
});

Deno.test("authenticate() answers 403 for a valid credential of a role the route does not allow", async () => {
  const user = await decide({ authorization: `Bearer ${await userJwt()}` }, ["secret"]);
  assert.equal(!user.ok && user.status, 403);
  assert.match(!user.ok ? user.error : "", /needs a secret key .*: got a user session JWT/);
  const publishable = await decide({ apikey: "sb_publishable_abc" }, ["secret", "user"]);
  assert.equal(!publishable.ok && publishable.status, 403);
});

Deno.test("authenticate() prefers the secret key when a request carries a secret key and a user JWT", async () => {
  const decision = await decide({ apikey: "sb_secret_xyz", authorization: `Bearer ${await userJwt()}` }, [
    "secret",
    "user",
  ]);
  assert.equal(decision.ok && decision.auth.mode, "secret");
});

Deno.test("authenticate() answers 401 for a non-Bearer Authorization header or a bearer that is no JWT", async () => {
  const basic = await decide({ authorization: "Basic dXNlcjpwYXNz" }, ["user"]);
  assert.match(!basic.ok ? basic.error : "", /must be 'Bearer <token>'/);
  const junk = await decide({ authorization: "Bearer not-a-token" }, ["user"]);
  assert.match(!junk.ok ? junk.error : "", /neither a JWT nor an API key/);
});

Deno.test("authenticate() throws when a JWT arrives but no signing keys are configured", async () => {
  await assert.rejects(
    authenticate({
      headers: new Headers({ authorization: `Bearer ${await userJwt()}` }),
      allowed: ["user"],
      env,
      now,
    }),
    /set SUPABASE_JWKS, SUPABASE_JWKS_URL or SUPABASE_URL/,
  );
});

Deno.test("createAuthenticator() fetches the JWKS from SUPABASE_URL when SUPABASE_JWKS is unset", async () => {
  const requested: string[] = [];
  const fakeFetch = ((input: string | URL | Request) => {
    requested.push(String(input instanceof Request ? input.url : input));
    return Promise.resolve(Response.json({ keys: [publicJwk] }));
  }) as typeof fetch;
  const remoteEnv = authEnvFromEnv((name) =>
    ({ SUPABASE_URL: "https://ref.supabase.co/" } as Record<string, string>)[name]
  );
  const authenticator = createAuthenticator({ env: remoteEnv, now: () => now, fetch: fakeFetch });
  const decision = await authenticator.authenticate(
    new Headers({ authorization: `Bearer ${await userJwt()}` }),
    [
      "user",
    ],
  );
  assert.equal(decision.ok && decision.auth.mode, "user");
  assert.deepEqual(requested, ["https://ref.supabase.co/auth/v1/.well-known/jwks.json"]);
});

Deno.test("authEnvFromEnv() reads the key dictionaries and says which variable is malformed", () => {
  const vars: Record<string, string> = {
    SUPABASE_PUBLISHABLE_KEYS: '{"default":"sb_publishable_1"}',
    SUPABASE_SECRET_KEYS: '{"default":"sb_secret_1","other":"sb_secret_2"}',
    SUPABASE_JWKS: JSON.stringify({ keys: [publicJwk] }),
    SUPABASE_JWKS_URL: "https://example.test/jwks.json",
  };
  const parsed = authEnvFromEnv((name) => vars[name]);
  assert.deepEqual(parsed.secretKeys, { default: "sb_secret_1", other: "sb_secret_2" });
  assert.deepEqual(parsed.publishableKeys, { default: "sb_publishable_1" });
  assert.equal(parsed.jwks?.keys.length, 1);
  assert.equal(parsed.jwksUrl, "https://example.test/jwks.json");
  assert.throws(
    () => authEnvFromEnv((name) => (name === "SUPABASE_SECRET_KEYS" ? "sb_secret_1" : undefined)),
    /SUPABASE_SECRET_KEYS must be a JSON object/,
  );
});

Deno.test("timingSafeEqual() compares whole strings, including their lengths", () => {
  assert.equal(timingSafeEqual("sb_secret_xyz", "sb_secret_xyz"), true);
  assert.equal(timingSafeEqual("sb_secret_xyz", "sb_secret_xy"), false);
  assert.equal(timingSafeEqual("sb_secret_xy", "sb_secret_xyz"), false);
  assert.equal(timingSafeEqual("", ""), true);
  assert.equal(timingSafeEqual("a\u0000", "a"), false);
});

Deno.test("createAuthenticator() throws SigningKeysUnavailableError when the JWKS URL cannot be reached", async () => {
  // A port nothing listens on: the fetch of the key set fails with a connection error.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  const authenticator = createAuthenticator({
    env: { ...env, jwks: undefined, jwksUrl: `http://127.0.0.1:${port}/auth/v1/.well-known/jwks.json` },
    now: () => now,
  });
  const token = await userJwt();
  await assert.rejects(
    authenticator.authenticate(new Headers({ authorization: `Bearer ${token}` }), ["user"]),
    (error: unknown) => {
      assert.ok(error instanceof SigningKeysUnavailableError, String(error));
      assert.match(error.message, /signing keys \(JWKS\) could not be fetched/);
      return true;
    },
  );
});
