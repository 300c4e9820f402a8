/**
 * The stack's credentials, generated once and kept in `.stack/keys.json` (0600) so that restarts keep the
 * same keys: new-style API keys, the legacy HS256 secret with its anon / service_role JWTs, and the ES256 key
 * pair that signs user JWTs (its public half is the JWKS).
 */
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { encodeBase64Url } from "./base64.ts";

export interface StackKeys {
  publishableKey: string;
  secretKey: string;
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtPrivateJwk: JWK;
  jwtPublicJwk: JWK;
}

const legacyIssuer = "supabase-demo";
const tenYearsS = 10 * 365 * 24 * 3600;

function randomToken(bytes: number): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function signLegacyJwt(
  jwtSecret: string,
  role: "anon" | "service_role",
  nowS: number,
): Promise<string> {
  return await new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(legacyIssuer)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + tenYearsS)
    .sign(new TextEncoder().encode(jwtSecret));
}

export async function generateKeys(nowS = Math.floor(Date.now() / 1000)): Promise<StackKeys> {
  const jwtSecret = randomToken(48);
  const kid = crypto.randomUUID();
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const jwtPrivateJwk = { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" };
  const jwtPublicJwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  return {
    publishableKey: `sb_publishable_${randomToken(22)}`,
    secretKey: `sb_secret_${randomToken(22)}`,
    jwtSecret,
    anonKey: await signLegacyJwt(jwtSecret, "anon", nowS),
    serviceRoleKey: await signLegacyJwt(jwtSecret, "service_role", nowS),
    jwtPrivateJwk,
    jwtPublicJwk,
  };
}

/** Loads `<stackDir>/keys.json`, creating it on first use. */
export async function loadOrCreateKeys(stackDir: string): Promise<StackKeys> {
  const path = `${stackDir}/keys.json`;
  try {
    return JSON.parse(await Deno.readTextFile(path)) as StackKeys;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new Error(`${path} is unreadable (${error}): delete it to generate new keys`);
    }
  }
  await Deno.mkdir(stackDir, { recursive: true });
  const keys = await generateKeys();
  await Deno.writeTextFile(path, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  return keys;
}

export function publicJwks(keys: StackKeys): { keys: JWK[] } {
  return { keys: [keys.jwtPublicJwk] };
}

export interface UserJwtOptions {
  /** The user's id (auth.users.id), a uuid. */
  sub: string;
  /** Lifetime of the token; negative values mint an already expired token (for tests). */
  expiresInSeconds?: number;
  /** ES256 private JWK with kid (STACK_JWT_PRIVATE_JWK). */
  privateJwk: JWK;
  /** `${SUPABASE_URL}/auth/v1` as Supabase Auth sets it. */
  issuer: string;
  /** Extra claims (email, app_metadata …). */
  claims?: Record<string, unknown>;
  now?: Date;
}

/** Mints a user session JWT like Supabase Auth's asymmetric keys do: ES256, kid header, role authenticated. */
export async function mintUserJwt(options: UserJwtOptions): Promise<string> {
  const { sub, expiresInSeconds = 3600, privateJwk, issuer, claims = {}, now = new Date() } = options;
  if (!privateJwk.kid) {
    throw new Error("privateJwk must have a kid: use STACK_JWT_PRIVATE_JWK from .stack/env");
  }
  const nowS = Math.floor(now.getTime() / 1000);
  const key = await importJWK(privateJwk, "ES256");
  return await new SignJWT({ role: "authenticated", aud: "authenticated", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: privateJwk.kid, typ: "JWT" })
    .setSubject(sub)
    .setIssuer(issuer)
    .setIssuedAt(Math.min(nowS, nowS + expiresInSeconds))
    .setExpirationTime(nowS + expiresInSeconds)
    .sign(key);
}
