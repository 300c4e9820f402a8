/**
 * The project's secret key as the platform hands it to every function: SUPABASE_SECRET_KEYS' `default` entry
 * (else its first), then the legacy SUPABASE_SERVICE_ROLE_KEY; undefined when neither is set.
 */
export function projectSecretKey(env: (name: string) => string | undefined): string | undefined {
  try {
    const keys = JSON.parse(env("SUPABASE_SECRET_KEYS") ?? "{}") as Record<string, unknown>;
    const key = keys.default ?? Object.values(keys)[0];
    if (typeof key === "string" && key) return key;
  } catch {
    // malformed: fall back to the legacy key below
  }
  return env("SUPABASE_SERVICE_ROLE_KEY") || undefined;
}
