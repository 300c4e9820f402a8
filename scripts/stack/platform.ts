/**
 * Applies the platform layer (supabase/local/*.sql, in name order) that hosted Supabase provides and a
 * bare Postgres lacks: API roles, the extensions schema, auth, vault and net. Every file is idempotent.
 */
import type postgres from "postgres";

export async function platformFiles(localDir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(localDir)) {
    if (entry.isFile && entry.name.endsWith(".sql")) names.push(entry.name);
  }
  return names.sort().map((name) => `${localDir}/${name}`);
}

export async function applyPlatform(sql: postgres.Sql, localDir: string): Promise<void> {
  for (const file of await platformFiles(localDir)) {
    try {
      // No parameters: sent as a simple query, so one call runs the whole multi-statement file.
      await sql.unsafe(await Deno.readTextFile(file));
    } catch (error) {
      throw new Error(`applying ${file} failed: ${error instanceof Error ? error.message : error}`);
    }
  }
}
