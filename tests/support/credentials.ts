import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { type StackEnv, stackEnv } from "./env.ts";

/**
 * Every kind of caller the auth matrix tries, as the headers a real client sends. Browsers using
 * supabase-js send the publishable key as `apikey` beside a user's session token.
 */
export type Caller =
  | "none"
  | "publishable"
  | "secret"
  | "user"
  | "legacyServiceRole"
  | "legacyAnon"
  | "forged"
  | "expired";

export const callers: Caller[] = [
  "none",
  "publishable",
  "secret",
  "user",
  "legacyServiceRole",
  "legacyAnon",
  "forged",
  "expired",
];

interface UserTokenOptions {
  sub?: string;
  expiresInSeconds?: number;
}

function privateJwk(): JsonWebKey & { kid?: string } {
  const raw = Deno.env.get("STACK_JWT_PRIVATE_JWK");
  if (!raw) throw new Error("STACK_JWT_PRIVATE_JWK is not set: user JWTs can only be minted for the local stack");
  return JSON.parse(raw);
}

/** A user session token as Supabase Auth would issue it, signed with the stack's ES256 key. */
export async function mintUserJwt(options: UserTokenOptions = {}, env: StackEnv = stackEnv()): Promise<string> {
  const jwk = privateJwk();
  const key = await importJWK(jwk, "ES256");
  return await signUserClaims(key, jwk.kid ?? "", options, env);
}

async function signUserClaims(
  key: CryptoKey | Uint8Array,
  kid: string,
  { sub = crypto.randomUUID(), expiresInSeconds = 3600 }: UserTokenOptions,
  env: StackEnv,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ role: "authenticated", aud: "authenticated" })
    .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
    .setSubject(sub)
    .setIssuer(`${env.url}/auth/v1`)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + expiresInSeconds)
    .sign(key);
}

/** A token with the stack key's kid but signed by a key the stack never issued. */
async function forgeUserJwt(env: StackEnv): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = privateJwk().kid ?? "";
  const forged = await importJWK(await exportJWK(privateKey), "ES256");
  return await signUserClaims(forged, kid, {}, env);
}

export async function headersFor(caller: Caller, env: StackEnv = stackEnv()): Promise<Record<string, string>> {
  switch (caller) {
    case "none":
      return {};
    case "publishable":
      return { apikey: env.publishableKey };
    case "secret":
      return { apikey: env.secretKey };
    case "user":
      return { apikey: env.publishableKey, authorization: `Bearer ${await mintUserJwt({}, env)}` };
    case "legacyServiceRole":
      return { apikey: env.serviceRoleKey, authorization: `Bearer ${env.serviceRoleKey}` };
    case "legacyAnon":
      return { apikey: env.anonKey, authorization: `Bearer ${env.anonKey}` };
    case "forged":
      return { apikey: env.publishableKey, authorization: `Bearer ${await forgeUserJwt(env)}` };
    case "expired":
      return {
        apikey: env.publishableKey,
        authorization: `Bearer ${await mintUserJwt({ expiresInSeconds: -120 }, env)}`,
      };
  }
}
