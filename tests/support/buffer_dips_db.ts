/**
 * Buffer-cache dips written by hand into the database snapshots, at times in 2020 so that no snapshot the
 * stack's optimizer-db-snapshot job takes falls among them: for the tests of buffer warming and of the
 * system-wide runs that plan loads. Each test deletes what it wrote (cleanUp()).
 */
import type { Sql } from "./metric_store_db.ts";

/** The moment the tests plan at: a quarter of an hour before the 07:30 slot of 10 January 2020. */
export const planAt = new Date("2020-01-10T07:15:00Z");

/** A table of its own with some blocks, and its oid. */
export async function createTable(sql: Sql): Promise<{ name: string; relid: number }> {
  const name = `prewarm_${crypto.randomUUID().slice(0, 8)}`;
  await sql.unsafe(`create table public.${name} (id bigint primary key, body text)`);
  await sql.unsafe(`insert into public.${name} select i, repeat('x', 200) from generate_series(1, 2000) i`);
  const [{ relid }] = await sql<{ relid: number }[]>`select ${`public.${name}`}::regclass::oid as relid`;
  return { name: `public.${name}`, relid: Number(relid) };
}

/**
 * A snapshot at `at` with the database's cumulative block counters and the table's blocks read so far; returns
 * its id.
 */
export async function snapshot(
  sql: Sql,
  at: string,
  counters: { hit: number; read: number; tableRead: number },
  table: { name: string; relid: number },
): Promise<number> {
  const [{ id }] = await sql<{ id: number }[]>`
    insert into optimizer.db_snapshots (taken_at, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned,
      tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks,
      connections, connections_total, max_connections, database_size_bytes)
    values (${at}, 0, 0, ${counters.read}, ${counters.hit}, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}'::jsonb, 1, 100, 0)
    returning id`;
  const [schema, relname] = table.name.split(".");
  await sql`
    insert into optimizer.db_snapshot_tables (snapshot_id, relid, schemaname, relname, heap_blks_read, heap_blks_hit,
      idx_blks_read, idx_blks_hit)
    values (${id}, ${table.relid}, ${schema}, ${relname}, ${counters.tableRead}, 0, 0, 0)`;
  return Number(id);
}

/** Dips at 07:30–07:35 UTC on 8 and 9 January 2020 (hit ratio 0.8, the table reading 1500 blocks each). */
export async function recurringDips(sql: Sql, table: { name: string; relid: number }): Promise<number[]> {
  const ids: number[] = [];
  let hit = 1_000_000, read = 10_000, tableRead = 100;
  for (const day of ["2020-01-08", "2020-01-09"]) {
    ids.push(await snapshot(sql, `${day}T07:30:00Z`, { hit, read, tableRead }, table));
    hit += 8000, read += 2000, tableRead += 1500;
    ids.push(await snapshot(sql, `${day}T07:35:00Z`, { hit, read, tableRead }, table));
  }
  return ids;
}

/** Deletes the snapshots, the table's loads and the table. */
export async function cleanUp(sql: Sql, table: string, snapshotIds: number[]): Promise<void> {
  await sql`delete from optimizer.db_snapshots where id = any(${snapshotIds}::bigint[])`;
  await sql`delete from optimizer.buffer_prewarms where relation = ${table}`;
  await sql.unsafe(`drop table if exists ${table}`);
}
