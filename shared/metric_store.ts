import type postgres from "postgres";
import type { Sql } from "./db.ts";
import type { MetricStorageRow } from "./metric_event.ts";
import type { UserPurgeResult } from "./metric_purge.ts";
import type { MetricSeriesRow, SeriesWindow } from "./series.ts";

/** Postgres adapter of the metrics function: the SQL interface in schema optimizer, nothing else. */
export interface MetricStore {
  /** Inserts all rows or none (one statement); resolves after commit with the number inserted. */
  ingest(rows: readonly MetricStorageRow[], reporter: string): Promise<number>;
  /** Rows of optimizer.metric_series for the window, bucket_start ascending, empty buckets absent. */
  series(window: SeriesWindow): Promise<MetricSeriesRow[]>;
  /** Deletes one user's raw events and rollup rows (every tier) in one transaction; says how many. */
  purgeUser(userId: string): Promise<UserPurgeResult>;
}

export function createMetricStore(sql: Sql): MetricStore {
  return {
    async ingest(rows, reporter) {
      // sql.json, not JSON.stringify: postgres.js serializes parameters the server types as jsonb itself,
      // so a pre-serialized string would arrive as one JSON string instead of an array.
      const [{ inserted }] = await sql<{ inserted: number }[]>`
        select optimizer.ingest_metric_events(${
        sql.json(rows as unknown as postgres.JSONValue)
      }::jsonb, ${reporter})
          as inserted`;
      return Number(inserted);
    },
    async series(window) {
      const rows = await sql<MetricSeriesRow[]>`
        select bucket_start, count, errors, cold_starts, hits, misses, latency_count, latency_sum,
               latency_min, latency_max, histogram
        from optimizer.metric_series(
          ${window.from.toISOString()}::timestamptz, ${window.to.toISOString()}::timestamptz,
          ${`${window.bucketSeconds} seconds`}::interval,
          ${window.system ?? null}, ${window.target ?? null}, ${window.kind ?? null})`;
      return [...rows];
    },
    async purgeUser(userId) {
      const [{ summary }] = await sql<{ summary: { events: number; tier_rows: Record<string, number> } }[]>`
        select optimizer.purge_user_metrics(${userId}, 'api') as summary`;
      return {
        userId,
        events: Number(summary.events),
        minuteRows: Number(summary.tier_rows.metric_rollups),
        fiveMinuteRows: Number(summary.tier_rows.metric_rollups_5min),
        hourRows: Number(summary.tier_rows.metric_rollups_hourly),
      };
    },
  };
}
