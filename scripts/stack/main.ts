/**
 * `npm start`: runs the local stack in the foreground until Ctrl-C, SIGTERM or `npm run stop`.
 * STACK_WORKER_IDLE_TIMEOUT_S and STACK_WORKER_MAX_LIFETIME_S override the function worker timeouts.
 */
import { explainDownloadFailure } from "./download_failure.ts";
import { stackOptionsFromEnv } from "./options.ts";
import type { RunningStack } from "./stack.ts";
import { runningStack } from "./stack_state.ts";
import { stackDefaults } from "./options.ts";

function fail(error: unknown): never {
  console.error(`[stack] ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}

const began = performance.now();
const already = await runningStack(stackDefaults.stackDir);
if (already.running) {
  fail(
    `a stack is already running (pid ${already.pid}, ${
      already.url ?? "still starting"
    }): use it, or \`npm run stop\``,
  );
}

// Imported here rather than above: on a first run the stack's npm packages download now, and a download
// that fails (an untrusted proxy certificate) should end with the variable to set, not Deno's bare error.
let stackModule: typeof import("./stack.ts");
try {
  stackModule = await import("./stack.ts");
} catch (error) {
  const { hint } = explainDownloadFailure(String(error), Deno.env.toObject());
  fail(hint ? `loading the stack's modules failed: ${hint}\n${error}` : error);
}
const { envFilePath, startStack } = stackModule;

let stack: RunningStack;
try {
  stack = await startStack(stackOptionsFromEnv(Deno.env.toObject()));
} catch (error) {
  fail(error);
}

const { env } = stack;
console.log(
  [
    "",
    `[stack] ready in ${((performance.now() - began) / 1000).toFixed(1)} s`,
    `  Functions      ${env.SUPABASE_URL}/functions/v1/<name>`,
    `  JWKS           ${env.SUPABASE_URL}/auth/v1/.well-known/jwks.json`,
    `  Workers        ${env.SUPABASE_URL}/_stack/workers`,
    `  DB URL         ${env.SUPABASE_DB_URL}`,
    `  Postgres files ${stack.clusterDir}/pg (data), pg-socket, postgres.log`,
    `  Publishable    ${env.SUPABASE_PUBLISHABLE_KEY}`,
    `  Secret         ${env.SUPABASE_SECRET_KEY}`,
    `  Anon (legacy)  ${env.SUPABASE_ANON_KEY}`,
    `  Service role   ${env.SUPABASE_SERVICE_ROLE_KEY}`,
    `  Env file       ${envFilePath(stackDefaults.stackDir)}  (set -a; . .stack/env; set +a)`,
    "Ctrl-C or `npm run stop` stops everything.",
    "",
  ].join("\n"),
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`[stack] ${signal}: stopping`);
  await stack.stop();
  console.log("[stack] stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", () => void shutdown("SIGINT"));
Deno.addSignalListener("SIGTERM", () => void shutdown("SIGTERM"));
