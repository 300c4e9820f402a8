import type postgres from "postgres";
import type { Sql } from "./db.ts";
import type { MetricStorageRow } from "./metric_event.ts";
import type { MetricSeriesRow, SeriesWindow } from "./series.ts";

/** Postgres adapter of the metrics function: the SQL interface in schema optimizer, nothing else. */
export interface MetricStore {
  /**
   * Inserts all rows or none (one statement); resolves after commit with the number inserted. Aborting
   * `signal` cancels the statement: a caller that gave up must not leave it running.
   */
  ingest(rows: readonly MetricStorageRow[], reporter: string, signal?: AbortSignal): Promise<number>;
  /** Rows of optimizer.metric_series for the window, bucket_start ascending, empty buckets absent. */
  series(window: SeriesWindow): Promise<MetricSeriesRow[]>;
}

export function createMetricStore(sql: Sql): MetricStore {
  return {
    async ingest(rows, reporter, signal) {
      signal?.throwIfAborted();
      // sql.json, not JSON.stringify: postgres.js serializes parameters the server types as jsonb itself,
      // so a pre-serialized string would arrive as one JSON string instead of an array.
      const query = sql<{ inserted: number }[]>`
        select optimizer.ingest_metric_events(${
        sql.json(rows as unknown as postgres.JSONValue)
      }::jsonb, ${reporter})
          as inserted`;
      const cancel = () => query.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        const [{ inserted }] = await query;
        return Number(inserted);
      } finally {
        signal?.removeEventListener("abort", cancel);
      }
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
  };
}
