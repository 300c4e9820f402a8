/**
 * Applies supabase/migrations with the real Supabase CLI, exactly as against a hosted project
 * (`supabase db push --remote=<url>`), so the migration history table is the CLI's own.
 */
import { repoRoot } from "./options.ts";
import { run } from "./process.ts";

/** The CLI pinned in this checkout's package.json. */
export const supabaseCli = `${repoRoot}/node_modules/.bin/supabase`;

export function dbPushArgs(dbUrl: string, repoDir: string): string[] {
  return ["db", "push", `--remote=${dbUrl}`, "--yes", "--workdir", repoDir];
}

export async function pushMigrations(repoDir: string, dbUrl: string): Promise<string> {
  const result = await run(supabaseCli, dbPushArgs(dbUrl, repoDir), {
    cwd: repoDir,
    what: "supabase db push",
    // CI is not a terminal: no prompts, no colours, no telemetry in the output.
    env: { SUPABASE_YES: "1", NO_COLOR: "1", DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
  });
  return (result.stdout + result.stderr).trim();
}
