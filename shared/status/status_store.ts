import { type OptimizationConfig, OptimizationConfigSchema } from "../config/config.ts";
import type postgres from "postgres";
import type { Sql } from "../db/client.ts";
import type { StatusOverview } from "./status_report.ts";
import { fieldIssues } from "../http/validation.ts";

/** Postgres adapter of the status function: optimizer.status_overview() and the optimizer.config row. */

/** The config row of optimizer.config. */
export interface StoredConfig {
  /** The config with every omitted setting at its default. */
  config: OptimizationConfig;
  /** When it was last written (ISO date-time); null when never stored. */
  updatedAt: string | null;
  /** Who last wrote it, as reporterOf() names the caller (e.g. `secret:default`); null when never stored. */
  updatedBy: string | null;
}

/** The status function's SQL interface (schema optimizer). */
export interface StatusStore {
  /** optimizer.status_overview(): volumes, newest rollup and snapshot, cron jobs, each module's last run. */
  overview(): Promise<StatusOverview>;
  /** The stored config with every omitted setting at its default. Throws if the stored value is invalid. */
  readConfig(): Promise<StoredConfig>;
  /**
   * Replaces the stored config (already parsed: every setting explicit) and records who did it; in the same
   * transaction, creates the event partitions a larger retention.rawEventsDays needs.
   */
  writeConfig(config: OptimizationConfig, updatedBy: string): Promise<StoredConfig>;
}

function parseStored(value: unknown): OptimizationConfig {
  const result = OptimizationConfigSchema.safeParse(value ?? {});
  if (!result.success) {
    const issues = fieldIssues(result.error).map((issue) => `${issue.path}: ${issue.message}`).join("; ");
    throw new Error(
      `optimizer.config holds an invalid config (${issues}): replace it with PUT /status/config`,
    );
  }
  return result.data;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** The store over `sql`; it holds no state of its own. */
export function createStatusStore(sql: Sql): StatusStore {
  return {
    async overview() {
      const [{ overview }] = await sql<{ overview: StatusOverview }[]>`
        select optimizer.status_overview() as overview`;
      return overview;
    },
    async readConfig() {
      const rows = await sql<{ value: unknown; updated_at: Date | null; updated_by: string | null }[]>`
        select value, updated_at, updated_by from optimizer.config where id`;
      if (rows.length === 0) return { config: parseStored({}), updatedAt: null, updatedBy: null };
      return {
        config: parseStored(rows[0].value),
        updatedAt: iso(rows[0].updated_at),
        updatedBy: rows[0].updated_by,
      };
    },
    async writeConfig(config, updatedBy) {
      const row = await sql.begin(async (tx) => {
        const [written] = await tx<{ value: unknown; updated_at: Date; updated_by: string }[]>`
          insert into optimizer.config (id, value, updated_at, updated_by)
          values (true, ${tx.json(config as unknown as postgres.JSONValue)}::jsonb, now(), ${updatedBy})
          on conflict (id) do update
            set value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by
          returning value, updated_at, updated_by`;
        // A larger retention.rawEventsDays lets ingest accept older events at once: their daily partitions
        // must exist before the new config is visible, not after the nightly retention job.
        await tx`select optimizer.ensure_metric_event_partitions()`;
        return written;
      });
      return { config: parseStored(row.value), updatedAt: iso(row.updated_at), updatedBy: row.updated_by };
    },
  };
}
