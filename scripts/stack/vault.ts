/**
 * Seeds Vault with what pg_cron jobs need to call functions through net.http_post, as on hosted:
 * `project_url` (the gateway URL) and `optimizer_secret_key` (the sb_secret key). Updates existing names.
 */
import type postgres from "postgres";

export function vaultSeed(projectUrl: string, secretKey: string): Record<string, string> {
  return { project_url: projectUrl, optimizer_secret_key: secretKey };
}

export async function upsertVaultSecrets(sql: postgres.Sql, secrets: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(secrets)) {
    const [existing] = await sql<{ id: string }[]>`select id from vault.secrets where name = ${name}`;
    if (existing) await sql`select vault.update_secret(${existing.id}::uuid, ${value})`;
    else await sql`select vault.create_secret(${value}, ${name})`;
  }
}
