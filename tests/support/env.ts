/**
 * Connection details of the stack the integration tests run against. `npm test` starts (or reuses) the
 * local stack and exports these; to test another stack (for example `supabase start`), export them yourself.
 */
export interface StackEnv {
  url: string;
  dbUrl: string;
  publishableKey: string;
  secretKey: string;
  anonKey: string;
  serviceRoleKey: string;
}

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests with \`npm test\`, or export the variables in .stack/env`,
    );
  }
  return value;
}

export function stackEnv(): StackEnv {
  return {
    url: required("SUPABASE_URL"),
    dbUrl: required("SUPABASE_DB_URL"),
    publishableKey: required("SUPABASE_PUBLISHABLE_KEY"),
    secretKey: required("SUPABASE_SECRET_KEY"),
    anonKey: required("SUPABASE_ANON_KEY"),
    serviceRoleKey: required("SUPABASE_SERVICE_ROLE_KEY"),
  };
}

/**
 * A user session JWT as Supabase Auth issues it (ES256, kid, role authenticated), signed with the stack's
 * key from STACK_JWT_PRIVATE_JWK. A negative `expiresInSeconds` gives an already expired token.
 */
export async function userJwt(sub: string, expiresInSeconds = 3600): Promise<string> {
  const { mintUserJwt } = await import("../../scripts/stack/keys.ts");
  return await mintUserJwt({
    sub,
    expiresInSeconds,
    privateJwk: JSON.parse(required("STACK_JWT_PRIVATE_JWK")),
    issuer: `${required("SUPABASE_URL")}/auth/v1`,
  });
}
