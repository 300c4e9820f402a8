import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { createMiddleware } from "hono/factory";
import type { MiddlewareHandler } from "hono";

/**
 * Who is calling, decided from the request headers and the keys the function gets from the platform.
 *
 * - 'secret': the `apikey` header is one of SUPABASE_SECRET_KEYS, or the legacy service_role JWT is in `apikey`
 *   or `Authorization: Bearer`. Hosted functions do not get the legacy JWT secret, so the legacy key is
 *   recognised by comparing it (in constant time) with SUPABASE_SERVICE_ROLE_KEY, not by verifying it.
 * - 'user': `Authorization: Bearer <jwt>` verifies against the project's JWKS, is unexpired and has a `sub`.
 * - 'publishable': the `apikey` header is one of SUPABASE_PUBLISHABLE_KEYS (or the legacy anon key).
 *
 * A credential that is present but wrong (unknown key, forged or expired JWT) is 401 even when another header
 * holds a good one: a bad credential is a client bug or an attack, never silently downgraded. No credential is
 * 401; good credentials of roles the route does not allow are 403.
 */

export type AuthMode = "user" | "publishable" | "secret";

/** Who is calling: the credential's mode and, for keys or users, which one. */
export interface AuthResult {
  /** The kind of credential that let the request through. */
  mode: AuthMode;
  /** For keys: the name in SUPABASE_*_KEYS, or 'service_role' / 'anon' for the legacy keys. */
  keyName?: string;
  /** For users: the JWT's `sub`. */
  userId?: string;
  /** For users: every claim of the verified JWT (e.g. `is_anonymous`, `role`). */
  claims?: UserClaims;
}

/** The claims of a verified user JWT: those the suite reads, and every other claim as it came. */
export interface UserClaims {
  /** The user's id. */
  sub?: string;
  /** The Postgres role the JWT stands for, e.g. `authenticated`. */
  role?: string;
  /** True for anonymous sign-ins (Supabase Auth sets it on every user JWT). */
  is_anonymous?: boolean;
  /** Any other claim (exp, aud, email, app_metadata, …). */
  [claim: string]: unknown;
}

/** A JSON Web Key Set: a project's public keys for verifying user JWTs (`{"keys": [...]}`). */
export interface JsonWebKeySet {
  /** The keys, as in the project's `/auth/v1/.well-known/jwks.json`. */
  keys: JsonWebKey[];
}

/** authenticate()'s verdict: the caller, or 401/403 with an error that says which credential to send. */
export type AuthDecision =
  | { ok: true; auth: AuthResult }
  | { ok: false; status: 401 | 403; error: string };

/** The credentials a function knows, read from its environment by authEnvFromEnv(). */
export interface AuthEnv {
  /** SUPABASE_PUBLISHABLE_KEYS: key name -> key. */
  publishableKeys: Record<string, string>;
  /** SUPABASE_SECRET_KEYS: key name -> key. */
  secretKeys: Record<string, string>;
  /** Legacy anon JWT: treated as a publishable key named 'anon'. */
  anonKey?: string;
  /** Legacy service_role JWT: treated as a secret key named 'service_role'. */
  serviceRoleKey?: string;
  /** Public signing keys for user JWTs; takes precedence over jwksUrl. */
  jwks?: JsonWebKeySet;
  /** Where the public signing keys are fetched from (SUPABASE_JWKS_URL, else derived from SUPABASE_URL). */
  jwksUrl?: string;
}

/** Which modes, most privileged first, a request with several good credentials is treated as. */
const modePriority: AuthMode[] = ["secret", "user", "publishable"];
const asymmetricAlgorithms = ["ES256", "RS256", "EdDSA", "ES384", "ES512", "PS256", "RS384", "RS512"];

function keyDictionary(get: (name: string) => string | undefined, name: string): Record<string, string> {
  const raw = get(name);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(
      `${name} must be a JSON object of key name -> key, e.g. {"default":"sb_..."}: it is not JSON`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${name} must be a JSON object of key name -> key, e.g. {"default":"sb_..."}`);
  }
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] =>
      typeof entry[1] === "string" && !!entry[1]
    ),
  );
}

function jwksFromEnv(raw: string): JsonWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('SUPABASE_JWKS must be a JSON Web Key Set ({"keys":[...]}): it is not JSON');
  }
  if (Array.isArray(parsed)) return { keys: parsed };
  if (typeof parsed === "object" && parsed !== null && Array.isArray((parsed as JsonWebKeySet).keys)) {
    return parsed as JsonWebKeySet;
  }
  throw new Error('SUPABASE_JWKS must be a JSON Web Key Set ({"keys":[...]})');
}

/** Reads the platform's credential variables. Throws (saying which variable is malformed) on bad JSON. */
export function authEnvFromEnv(
  get: (name: string) => string | undefined = (name) => Deno.env.get(name),
): AuthEnv {
  const jwksRaw = get("SUPABASE_JWKS");
  const supabaseUrl = get("SUPABASE_URL");
  return {
    publishableKeys: keyDictionary(get, "SUPABASE_PUBLISHABLE_KEYS"),
    secretKeys: keyDictionary(get, "SUPABASE_SECRET_KEYS"),
    anonKey: get("SUPABASE_ANON_KEY") || undefined,
    serviceRoleKey: get("SUPABASE_SERVICE_ROLE_KEY") || undefined,
    jwks: jwksRaw ? jwksFromEnv(jwksRaw) : undefined,
    jwksUrl: get("SUPABASE_JWKS_URL") ||
      (supabaseUrl ? `${supabaseUrl.replace(/\/+$/, "")}/auth/v1/.well-known/jwks.json` : undefined),
  };
}

const encoder = new TextEncoder();

/** Compares in time that depends only on the lengths, so a key cannot be guessed byte by byte. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const length = Math.max(x.length, y.length);
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The API key `value` is, if any. Every key is compared, so the time taken does not reveal which matched. */
function identifyKey(value: string, env: AuthEnv): AuthResult | null {
  let found: AuthResult | null = null;
  const candidates: [AuthMode, string, string | undefined][] = [
    ...Object.entries(env.secretKeys).map(([name, key]): [AuthMode, string, string] => ["secret", name, key]),
    ...Object.entries(env.publishableKeys).map((
      [name, key],
    ): [AuthMode, string, string] => ["publishable", name, key]),
    ["secret", "service_role", env.serviceRoleKey],
    ["publishable", "anon", env.anonKey],
  ];
  for (const [mode, keyName, key] of candidates) {
    if (key && timingSafeEqual(value, key) && !found) found = { mode, keyName };
  }
  return found;
}

function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The project's signing keys could not be fetched (JWKS endpoint down, slow or answering garbage): the
 * server cannot decide about a user JWT for now, so the caller should retry (503), not fix its token.
 */
export class SigningKeysUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
  constructor(cause: unknown) {
    super(
      `the project's signing keys (JWKS) could not be fetched: ${(cause as Error)?.message ?? cause}`,
      { cause },
    );
    this.name = "SigningKeysUnavailableError";
  }
}

function jwtFailure(error: unknown, remoteKeys: boolean): string {
  if (error instanceof errors.JWTExpired) return "JWT has expired: refresh the session and retry";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `JWT claim '${error.claim}' is invalid (${error.reason}): send a user session token of this project`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return "JWT was not signed by a signing key of this project (no key matches its kid and algorithm)";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "JWT signature does not verify against this project's signing keys";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return "JWT algorithm is not accepted: user tokens must be signed with the project's asymmetric keys";
  }
  if (
    error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported || error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return `Authorization bearer token is not a valid JWT: ${(error as Error).message}`;
  }
  // Anything else came from fetching the key set (network error, JWKSTimeout, non-200, JWKSInvalid).
  throw remoteKeys ? new SigningKeysUnavailableError(error) : error;
}

function describeModes(modes: readonly AuthMode[]): string {
  const names: Record<AuthMode, string> = {
    secret: "a secret key (apikey header) or the service_role key",
    user: "a user session JWT (Authorization: Bearer)",
    publishable: "a publishable key (apikey header)",
  };
  return modes.map((mode) => names[mode]).join(" or ");
}

export interface AuthenticateInput {
  headers: Headers;
  allowed: readonly AuthMode[];
  env: AuthEnv;
  now: Date;
  /** Signing keys for user JWTs; undefined when none are configured (a JWT then fails with an Error). */
  keys?: JWTVerifyGetKey;
  /** Whether `keys` are fetched over the network (their failures are SigningKeysUnavailableError). */
  remoteKeys?: boolean;
  /** Expected `aud` of user JWTs; Supabase Auth issues 'authenticated'. null skips the check. */
  audience?: string | null;
  clockToleranceSeconds?: number;
}

/**
 * Decides a request's credentials. Network-free when `keys` is a local key set. Throws only when the server
 * cannot decide: a JWT arrived but no signing keys are configured (Error), or the remote JWKS could not be
 * fetched (SigningKeysUnavailableError, a 503).
 */
export async function authenticate(input: AuthenticateInput): Promise<AuthDecision> {
  const { headers, allowed, env, now } = input;
  const found: AuthResult[] = [];

  const apikey = headers.get("apikey")?.trim();
  if (apikey) {
    const key = identifyKey(apikey, env);
    if (!key) return { ok: false, status: 401, error: "apikey header is not an API key of this project" };
    found.push(key);
  }

  const authorization = headers.get("authorization")?.trim();
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) return { ok: false, status: 401, error: "Authorization header must be 'Bearer <token>'" };
    const token = match[1];
    const key = identifyKey(token, env);
    if (key) {
      found.push(key);
    } else if (!looksLikeJwt(token)) {
      return {
        ok: false,
        status: 401,
        error: "Authorization bearer token is neither a JWT nor an API key of this project",
      };
    } else {
      if (!input.keys) {
        throw new Error("cannot verify user JWTs: set SUPABASE_JWKS, SUPABASE_JWKS_URL or SUPABASE_URL");
      }
      try {
        const audience = input.audience === undefined ? "authenticated" : input.audience;
        const { payload } = await jwtVerify(token, input.keys, {
          algorithms: asymmetricAlgorithms,
          currentDate: now,
          audience: audience ?? undefined,
          clockTolerance: input.clockToleranceSeconds ?? 0,
          requiredClaims: ["exp", "sub"],
        });
        found.push({ mode: "user", userId: payload.sub, claims: payload });
      } catch (error) {
        return { ok: false, status: 401, error: jwtFailure(error, input.remoteKeys ?? false) };
      }
    }
  }

  if (found.length === 0) {
    return { ok: false, status: 401, error: `missing credentials: send ${describeModes(allowed)}` };
  }
  for (const mode of modePriority) {
    const auth = allowed.includes(mode) ? found.find((candidate) => candidate.mode === mode) : undefined;
    if (auth) return { ok: true, auth };
  }
  const got = modePriority.filter((mode) => found.some((candidate) => candidate.mode === mode));
  return {
    ok: false,
    status: 403,
    error: `this route needs ${describeModes(allowed)}: got ${describeModes(got)}`,
  };
}

/** Options of createAuthenticator(). */
export interface AuthenticatorOptions {
  /** The credentials to accept; authEnvFromEnv() reads them from the platform. */
  env: AuthEnv;
  /** The time JWT expiry is checked against (default: the system clock). */
  now?: () => Date;
  /** Used to fetch a remote JWKS (tests pass a fake). */
  fetch?: typeof fetch;
  /** Expected `aud` of user JWTs (default 'authenticated', as Supabase Auth issues); null skips the check. */
  audience?: string | null;
  /** Seconds of clock skew allowed when checking the JWT's time claims (exp, nbf); default 0. */
  clockToleranceSeconds?: number;
}

/** Decides requests' credentials against one environment; createFunctionApp() builds one from the env. */
export interface Authenticator {
  /**
   * The caller, if `headers` hold a good credential of one of the `allowed` modes. Throws
   * SigningKeysUnavailableError when the remote signing keys cannot be fetched (answer 503).
   */
  authenticate(headers: Headers, allowed: readonly AuthMode[]): Promise<AuthDecision>;
}

/** Binds authenticate() to an environment, caching the (possibly remote) signing keys across requests. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { env } = options;
  const keys: JWTVerifyGetKey | undefined = env.jwks
    ? createLocalJWKSet(env.jwks as JSONWebKeySet)
    : env.jwksUrl
    ? createRemoteJWKSet(new URL(env.jwksUrl), options.fetch ? { [customFetch]: options.fetch } : {})
    : undefined;
  const now = options.now ?? (() => new Date());
  return {
    authenticate: (headers, allowed) =>
      authenticate({
        headers,
        allowed,
        env,
        now: now(),
        keys,
        remoteKeys: !env.jwks && !!env.jwksUrl,
        audience: options.audience,
        clockToleranceSeconds: options.clockToleranceSeconds,
      }),
  };
}

/** Context variables requireAuth() reads (authenticator) and sets (auth); createFunctionApp provides them. */
export type AuthVariables = {
  /** Decides the request's credentials. */
  authenticator: Authenticator;
  /** The caller, set once requireAuth() let the request through. */
  auth: AuthResult;
};

/** Hono middleware: lets the request through only with a credential of one of `modes`, else a JSON 401/403. */
export function requireAuth(
  ...modes: AuthMode[]
): MiddlewareHandler<{ Variables: AuthVariables & { requestId: string } }> {
  if (modes.length === 0) {
    throw new Error("requireAuth needs at least one mode: 'user', 'publishable' or 'secret'");
  }
  return createMiddleware<{ Variables: AuthVariables & { requestId: string } }>(async (c, next) => {
    const decision = await c.get("authenticator").authenticate(c.req.raw.headers, modes);
    if (!decision.ok) {
      if (decision.status === 401) c.header("WWW-Authenticate", 'Bearer realm="supabase"');
      return c.json({ error: decision.error, requestId: c.get("requestId") }, decision.status);
    }
    c.set("auth", decision.auth);
    await next();
  });
}
