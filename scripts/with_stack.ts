import { isStackRunning, readStackEnv, startStack } from "./stack/mod.ts";
import { stackOptionsFromEnv } from "./stack/options.ts";

/** Variables that name a stack; when all are set, that stack is used as it is (for example `supabase start`). */
const stackVariables = [
  "SUPABASE_URL",
  "SUPABASE_DB_URL",
  "SUPABASE_PUBLISHABLE_KEY",
  "SUPABASE_SECRET_KEY",
  "SUPABASE_ANON_KEY",
  "SUPABASE_SERVICE_ROLE_KEY",
] as const;

export interface StackLease {
  env: Record<string, string>;
  /** Where the stack came from, for the log. */
  source: "environment" | "running local stack" | "started for this run";
  release(): Promise<void>;
}

/**
 * Finds a stack for tests and benchmarks: one named by the environment, else the local stack already
 * running from `npm start`, else a local stack started now and stopped again on release().
 */
export async function leaseStack(): Promise<StackLease> {
  const fromEnvironment = Object.fromEntries(stackVariables.map((name) => [name, Deno.env.get(name) ?? ""]));
  if (Object.values(fromEnvironment).every((value) => value !== "")) {
    // The local stack's signing key, when exported too, lets benchmarks mint user sessions.
    const signingKey = Deno.env.get("STACK_JWT_PRIVATE_JWK");
    const env = signingKey ? { ...fromEnvironment, STACK_JWT_PRIVATE_JWK: signingKey } : fromEnvironment;
    return { env, source: "environment", release: () => Promise.resolve() };
  }
  if (await isStackRunning()) {
    return { env: await readStackEnv(), source: "running local stack", release: () => Promise.resolve() };
  }
  const stack = await startStack(stackOptionsFromEnv(Deno.env.toObject()));
  return { env: await readStackEnv(), source: "started for this run", release: () => stack.stop() };
}
