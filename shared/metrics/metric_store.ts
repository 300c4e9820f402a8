import type postgres from "postgres";
import type { Sql } from "../db/client.ts";
import type { MetricStorageRow } from "./metric_event.ts";
import type { UserPurgeResult } from "./metric_purge.ts";
import type { MetricSeriesRow, SeriesWindow } from "./series.ts";

/** Postgres adapter of the metrics function: the SQL interface in schema optimizer, nothing else. */

/** Options of MetricStore.ingest(). */
export interface BatchOptions {
  /** Idempotency key, scoped to the reporter: a batch id seen before stores nothing. */
  batchId?: string;
  /** The reporter's events-per-minute limit; absent: none. */
  eventsPerMinute?: number | null;
  /** Aborting it cancels the statement. */
  signal?: AbortSignal;
}

/** What MetricStore.ingest() did with a batch. */
export interface BatchOutcome {
  /** Events stored; for a duplicate, the number stored when the batch was first seen. */
  accepted: number;
  /** True when the batch id was seen before: nothing was stored this time. */
  duplicate: boolean;
  /** Set when the batch was over the rate limit (nothing stored): seconds until the window resets. */
  retryAfterSeconds: number | null;
}

/** The metric store's SQL interface (schema optimizer), as the metrics function uses it. */
export interface MetricStore {
  /**
   * Inserts all rows or none with optimizer.ingest_metric_batch, unless the batch id was seen before or the
   * batch is over the rate limit: decided in the same statement (one transaction) as the insert. Resolves
   * after commit. Aborting `signal` cancels the statement: a caller that gave up must not leave it running.
   */
  ingest(rows: readonly MetricStorageRow[], reporter: string, options?: BatchOptions): Promise<BatchOutcome>;
  /**
   * Rows of optimizer.metric_series_rows for the window: the rollup rows of the tier it chooses, each with
   * its bucket's start, not yet merged (seriesFromRollups adds them up per bucket).
   */
  series(window: SeriesWindow): Promise<MetricSeriesRow[]>;
  /** Deletes one user's raw events and rollup rows (every tier) in one transaction; says how many. */
  purgeUser(userId: string): Promise<UserPurgeResult>;
}

/** The store over `sql`; it holds no state of its own. */
export function createMetricStore(sql: Sql): MetricStore {
  return {
    async ingest(rows, reporter, options = {}) {
      options.signal?.throwIfAborted();
      // sql.json, not JSON.stringify: postgres.js serializes parameters the server types as jsonb itself,
      // so a pre-serialized string would arrive as one JSON string instead of an array.
      const query = sql<
        { accepted: number; duplicate: boolean; retry_after_seconds: number | null }[]
      >`
        select accepted, duplicate, retry_after_seconds
        from optimizer.ingest_metric_batch(${sql.json(rows as unknown as postgres.JSONValue)}::jsonb,
          ${reporter}, ${options.batchId ?? null}, ${options.eventsPerMinute ?? null}::integer)`;
      const cancel = () => query.cancel();
      options.signal?.addEventListener("abort", cancel, { once: true });
      let outcome;
      try {
        [outcome] = await query;
      } finally {
        options.signal?.removeEventListener("abort", cancel);
      }
      return {
        accepted: Number(outcome.accepted),
        duplicate: outcome.duplicate,
        retryAfterSeconds: outcome.retry_after_seconds === null ? null : Number(outcome.retry_after_seconds),
      };
    },
    async series(window) {
      const rows = await sql<MetricSeriesRow[]>`
        select bucket_start, count, errors, cold_starts, hits, misses, latency_count, latency_sum,
               latency_min, latency_max, histogram
        from optimizer.metric_series_rows(
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
