/**
 * The platform's verify_jwt decision, as hosted Supabase makes it before a function runs: the
 * Authorization bearer token must verify as HS256 with the legacy secret or against the JWKS (ES256 user
 * tokens), and must not be expired.
 */
import { createLocalJWKSet, decodeProtectedHeader, type JWK, type JWTPayload, jwtVerify } from "jose";

export type JwtDecision =
  | { ok: true; claims: JWTPayload }
  | { ok: false; status: 401; message: string };

export interface JwtVerifier {
  check(authorization: string | null, now: Date): Promise<JwtDecision>;
}

export function createJwtVerifier(legacySecret: string, jwks: { keys: JWK[] }): JwtVerifier {
  const secret = new TextEncoder().encode(legacySecret);
  const keySet = createLocalJWKSet(jwks);
  return {
    async check(authorization, now) {
      if (!authorization) return { ok: false, status: 401, message: "Missing authorization header" };
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) return { ok: false, status: 401, message: "Auth header is not 'Bearer {token}'" };
      const token = match[1];
      try {
        const { alg } = decodeProtectedHeader(token);
        const options = { currentDate: now, clockTolerance: 0 };
        const { payload } = alg === "HS256"
          ? await jwtVerify(token, secret, { ...options, algorithms: ["HS256"] })
          : await jwtVerify(token, keySet, { ...options, algorithms: ["ES256", "RS256"] });
        return { ok: true, claims: payload };
      } catch {
        return { ok: false, status: 401, message: "Invalid JWT" };
      }
    },
  };
}
