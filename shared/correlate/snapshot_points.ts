import type { Sql } from "../db/client.ts";
import type { DbSnapshotPoint } from "./buffer_dips.ts";

/** Postgres adapter: the database snapshots (optimizer.db_snapshots) as findBufferDips() reads them. */

/** Database snapshots taken in [from, to]. */
export async function loadSnapshots(sql: Sql, from: Date, to: Date): Promise<DbSnapshotPoint[]> {
  const rows = await sql<
    {
      taken_at: Date;
      blks_hit: string;
      blks_read: string;
      db_stats_reset: Date | null;
      connections_total: number;
      max_connections: number;
    }[]
  >`
    select s.taken_at, s.blks_hit, s.blks_read, s.db_stats_reset, s.connections_total, s.max_connections
    from optimizer.db_snapshots s
    where s.taken_at >= ${from.toISOString()}::timestamptz and s.taken_at <= ${to.toISOString()}::timestamptz
    order by s.taken_at`;
  return rows.map((row) => ({
    takenAt: new Date(row.taken_at),
    blksHit: Number(row.blks_hit),
    blksRead: Number(row.blks_read),
    dbStatsReset: row.db_stats_reset === null ? null : new Date(row.db_stats_reset),
    connectionsTotal: Number(row.connections_total),
    maxConnections: Number(row.max_connections),
  }));
}
