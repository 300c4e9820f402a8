import { exportJWK, generateKeyPair } from "jose";
import { mintUserJwt } from "../../scripts/stack/mod.ts";
import { type StackEnv, stackEnv, userJwt } from "./env.ts";

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

/** A token with the stack key's kid but signed by a key the stack never issued. */
async function forgeUserJwt(env: StackEnv): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const stackKey = JSON.parse(Deno.env.get("STACK_JWT_PRIVATE_JWK") ?? "{}");
  return await mintUserJwt({
    sub: crypto.randomUUID(),
    privateJwk: { ...(await exportJWK(privateKey)), kid: stackKey.kid },
    issuer: `${env.url}/auth/v1`,
  });
}

export async function headersFor(
  caller: Caller,
  env: StackEnv = stackEnv(),
): Promise<Record<string, string>> {
  switch (caller) {
    case "none":
      return {};
    case "publishable":
      return { apikey: env.publishableKey };
    case "secret":
      return { apikey: env.secretKey };
    case "user":
      return { apikey: env.publishableKey, authorization: `Bearer ${await userJwt(crypto.randomUUID())}` };
    case "legacyServiceRole":
      return { apikey: env.serviceRoleKey, authorization: `Bearer ${env.serviceRoleKey}` };
    case "legacyAnon":
      return { apikey: env.anonKey, authorization: `Bearer ${env.anonKey}` };
    case "forged":
      return { apikey: env.publishableKey, authorization: `Bearer ${await forgeUserJwt(env)}` };
    case "expired":
      return {
        apikey: env.publishableKey,
        authorization: `Bearer ${await userJwt(crypto.randomUUID(), -120)}`,
      };
  }
}
