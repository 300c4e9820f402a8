import assert from "node:assert/strict";
import { supabaseCli } from "../../scripts/stack/migrations.ts";

/** One lint of Supabase's linter (splinter), as `supabase db advisors --output-format json` prints it. */
export interface Lint {
  name: string;
  level: string;
  detail: string;
  metadata: { schema?: string; name?: string; fkey_name?: string; indexes?: string[] };
}

/** Supabase's linter through the real CLI: `supabase db advisors --type <type> --level info`. */
export async function advisorLints(dbUrl: string, type: "all" | "performance" | "security"): Promise<Lint[]> {
  const output = await new Deno.Command(supabaseCli, {
    args: [
      "db",
      "advisors",
      "--type",
      type,
      "--level",
      "info",
      `--remote=${dbUrl}`,
      "--output-format",
      "json",
    ],
    env: { NO_COLOR: "1", DO_NOT_TRACK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.ok(output.success, new TextDecoder().decode(output.stderr) + text);
  return JSON.parse(text).results;
}
