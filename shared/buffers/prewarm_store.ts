import type { Sql } from "../db/client.ts";
import { type BufferDipOptions, type BufferDipReport, findBufferDips } from "../correlate/buffer_dips.ts";
import { loadSnapshots } from "../correlate/snapshot_points.ts";
import { DAY_MS, MINUTE_MS } from "../time.ts";
import { loadKey, type PlannedPrewarm, type PrewarmInput } from "./plan_prewarm.ts";
import type { StatementOutlook } from "./statement_spikes.ts";
import { explainGenericPlans } from "../advisor/hypopg.ts";

/**
 * Postgres adapter of buffer warming: what planPrewarm() reads (the recurring dips of the database snapshots,
 * the tables those dips read from disk, their size and residency, shared_buffers, the measured read time per
 * block, the loads already done), the load itself (optimizer.prewarm_table(), pg_prewarm) with its record in
 * optimizer.buffer_prewarms, and the settling of earlier loads once their slot has passed. Schema:
 * supabase/migrations/20261128008000_optimizer_buffer_warming.sql.
 */

/** What the dips are looked for with: the correlation analyzer's rule 6 options. */
export interface DipLookup extends BufferDipOptions {
  /** Days of snapshots read back from now. */
  recurrenceDays: number;
}

/** A load done, and what it read. */
export interface PrewarmRecord {
  /** Its row in optimizer.buffer_prewarms. */
  id: string;
  /** Blocks pg_prewarm read. */
  blocksLoaded: number;
}

/** An earlier load whose slot has passed, with the hit ratio that followed. */
export interface SettledPrewarm {
  /** The table, `schema.table`. */
  relation: string;
  /** The slot occurrence it was loaded for. */
  slotStartsAt: Date;
  /** What the plan expected to be read from memory instead of disk. */
  expectedBlocksAvoided: number;
  /** The database's buffer-cache hit ratio over the slot; null when no snapshots cover it. */
  hitRatioAfter: number | null;
  /** Blocks the table still read from disk over the slot; null when no snapshots cover it. */
  blocksReadAfter: number | null;
}

/** What the predictive run asks of Postgres for buffer warming. */
export interface PrewarmStore {
  /**
   * planPrewarm()'s input at `now`, with the tables the generic plan of each of `statements` reads (explained
   * only when some slot recurs), and the dip report it rests on.
   */
  readInput(
    now: Date,
    dips: DipLookup,
    statements: readonly StatementOutlook[],
  ): Promise<{ input: PrewarmInput; report: BufferDipReport }>;
  /** Loads the planned table and records the load in run `runId`. */
  load(runId: string, planned: PlannedPrewarm, slotMinutes: number, now: Date): Promise<PrewarmRecord>;
  /** Records the hit ratio that followed every load whose slot ended before `now`; returns them. */
  settle(now: Date): Promise<SettledPrewarm[]>;
}

/**
 * How far before a slot's start and after its end the snapshots that measure it may be: three of the
 * optimizer-db-snapshot job's 5-minute intervals, so that a late or missed snapshot does not stop settling.
 */
const margin = "15 minutes";

/** Dip intervals per slot whose reads are looked up (the latest), one optimizer.table_deltas() call each. */
const maxDipsPerSlot = 7;

/** statement_timeout of each explain: a generic plan takes milliseconds, a catalog lock held elsewhere longer. */
const explainTimeoutMs = 5_000;

/**
 * The tables (`schema.table`, spelt as optimizer.table_deltas() spells them) the generic plan of each statement
 * reads, by queryid; a statement whose text the snapshots do not hold, or that cannot be explained, has none.
 */
async function statementTables(
  sql: Sql,
  statements: readonly StatementOutlook[],
): Promise<Map<string, string[]>> {
  if (statements.length === 0) return new Map();
  const texts = await sql<{ queryid: string; query: string }[]>`
    select t.queryid::text as queryid, t.query from optimizer.db_statement_texts t
    where t.queryid = any(${statements.map((s) => s.queryid)}::bigint[])`;
  const plans = await explainGenericPlans(sql, texts, { statementTimeoutMs: explainTimeoutMs });
  // every table each explained statement reads, named as Postgres names them, in one round trip
  const tables = new Map<string, string[]>();
  const reads: { queryid: string; schema: string; table: string }[] = [];
  for (const [queryid, result] of plans) {
    if (!("plan" in result)) continue;
    tables.set(queryid, []);
    for (const a of result.plan.accesses) reads.push({ queryid, schema: a.schema, table: a.table });
  }
  const named = reads.length === 0 ? [] : await sql<{ queryid: string; relation: string }[]>`
    select distinct r.queryid, pg_catalog.format('%I.%I', r.schema, r.name) as relation
    from rows from (
      pg_catalog.unnest(${reads.map((r) => r.queryid)}::text[]),
      pg_catalog.unnest(${reads.map((r) => r.schema)}::text[]),
      pg_catalog.unnest(${reads.map((r) => r.table)}::text[])
    ) as r(queryid, schema, name)`;
  for (const row of named) tables.get(row.queryid)!.push(row.relation);
  return tables;
}

/** The store over `sql` (the service role's connection). */
export function createPrewarmStore(sql: Sql): PrewarmStore {
  return {
    async readInput(now, dips, statements) {
      const snapshots = await loadSnapshots(sql, new Date(now.getTime() - dips.recurrenceDays * DAY_MS), now);
      const report = findBufferDips(snapshots, dips);
      const readsBySlot = new Map<string, { relation: string; blocksRead: number }[]>();
      const relids = new Set<number>();
      for (const slot of report.recurring) {
        const totals = new Map<string, number>();
        const latest = [...slot.dips].sort((a, b) => b.to.getTime() - a.to.getTime()).slice(
          0,
          maxDipsPerSlot,
        );
        for (const dip of latest) {
          const rows = await sql<{ relid: number; relation: string; blocks_read: string }[]>`
            select d.relid, pg_catalog.format('%I.%I', d.schemaname, d.relname) as relation,
                   coalesce(d.heap_blks_read, 0) + coalesce(d.idx_blks_read, 0) as blocks_read
            from optimizer.table_deltas(${dip.from.toISOString()}::timestamptz, ${dip.to.toISOString()}::timestamptz) d
            -- a reset makes the delta the counter's whole value, not the dip's reads
            where not d.reset_detected and coalesce(d.heap_blks_read, 0) + coalesce(d.idx_blks_read, 0) > 0`;
          for (const row of rows) {
            totals.set(row.relation, (totals.get(row.relation) ?? 0) + Number(row.blocks_read));
            relids.add(Number(row.relid));
          }
        }
        readsBySlot.set(
          slot.slot,
          [...totals].map(([relation, blocksRead]) => ({ relation, blocksRead })),
        );
      }
      const residency = relids.size === 0 ? [] : await sql<
        { relation: string; blocks: string; resident_blocks: string | null }[]
      >`select relation, blocks, resident_blocks from optimizer.table_residency(${[...relids]}::oid[])`;
      const [settings] = await sql<{ shared_buffers: string; read_ms_per_block: number | null }[]>`
        select (select s.setting from pg_catalog.pg_settings s where s.name = 'shared_buffers') as shared_buffers,
               -- the time a block read from outside shared buffers took, measured only with track_io_timing
               (select case when pg_catalog.current_setting('track_io_timing')::boolean and d.blks_read > 0
                            then d.blk_read_time / d.blks_read end
                from pg_catalog.pg_stat_database d where d.datname = pg_catalog.current_database())
                 as read_ms_per_block`;
      const loaded = await sql<{ slot_starts_at: Date; relation: string }[]>`
        select p.slot_starts_at, p.relation from optimizer.buffer_prewarms p
        where p.slot_starts_at > ${now.toISOString()}::timestamptz`;
      // a failure to explain (a revoked right, a lock) leaves every statement unexplained, so the plan falls back
      // to the recurrence alone and says so, rather than failing buffer warming
      const tables = report.recurring.length === 0
        ? new Map<string, string[]>()
        : await statementTables(sql, statements).catch(() => new Map<string, string[]>());
      return {
        report,
        input: {
          now,
          recurring: report.recurring,
          slotMinutes: dips.slotMinutes,
          statements: statements.map((s) => ({ ...s, tables: tables.get(s.queryid) ?? null })),
          readsBySlot,
          relations: new Map(residency.map((r) => [r.relation, {
            relation: r.relation,
            blocks: Number(r.blocks),
            residentBlocks: r.resident_blocks === null ? null : Number(r.resident_blocks),
          }])),
          sharedBufferBlocks: Number(settings.shared_buffers),
          readMsPerBlock: settings.read_ms_per_block === null
            ? null
            : Math.round(settings.read_ms_per_block * 1000) / 1000,
          alreadyLoaded: new Set(loaded.map((row) => loadKey(row.slot_starts_at, row.relation))),
        },
      };
    },

    async load(runId, planned, slotMinutes, now) {
      // the table named as the plan read it: one dropped or renamed since is not loaded. A second load of the
      // same slot occurrence (only a concurrent run gets here) reads the blocks again and records nothing.
      const [row] = await sql<{ id: string; blocks_loaded: string }[]>`
        with t as (select pg_catalog.to_regclass(${planned.relation})::oid as relid)
        insert into optimizer.buffer_prewarms (run_id, relid, relation, slot, slot_starts_at, slot_ends_at,
          loaded_at, blocks_loaded, expected_blocks_avoided, expected_saved_ms, reason)
        select ${runId}, t.relid, ${planned.relation}, ${planned.slot}, ${planned.slotStartsAt},
          ${new Date(planned.slotStartsAt.getTime() + slotMinutes * MINUTE_MS)}, ${now},
          optimizer.prewarm_table(t.relid), ${planned.expectedBlocksAvoided}, ${planned.expectedSavedMs},
          ${planned.reason}
        from t
        where t.relid is not null
        on conflict (slot_starts_at, relid) do nothing
        returning id, blocks_loaded`;
      if (!row) {
        throw new Error(
          `${planned.relation} was dropped or renamed since the plan, or loaded by a concurrent run`,
        );
      }
      return { id: String(row.id), blocksLoaded: Number(row.blocks_loaded) };
    },

    async settle(now) {
      const rows = await sql<
        {
          relation: string;
          slot_starts_at: Date;
          expected_blocks_avoided: string;
          hit_ratio_after: number | null;
          blocks_read_after: string | null;
        }[]
      >`
        with due as (
          select p.id, p.relid, p.slot_starts_at, p.slot_ends_at from optimizer.buffer_prewarms p
          where p.settled_at is null and p.slot_ends_at <= ${now.toISOString()}::timestamptz
            -- wait for a snapshot soon after the slot, unless it will not come any more
            and (p.slot_ends_at < ${now.toISOString()}::timestamptz - interval '1 day'
                 or exists (select 1 from optimizer.db_snapshots s
                            where s.taken_at >= p.slot_ends_at and s.taken_at <= p.slot_ends_at + ${margin}::interval))
        ),
        -- the snapshots around the slot, within the margin: the last at or before its start, the first at or
        -- after its end; a snapshot further off would measure other hours than the slot's
        bounds as (
          select d.id, d.relid,
                 (select s.taken_at from optimizer.db_snapshots s
                  where s.taken_at <= d.slot_starts_at and s.taken_at >= d.slot_starts_at - ${margin}::interval
                  order by s.taken_at desc limit 1) as from_at,
                 (select s.taken_at from optimizer.db_snapshots s
                  where s.taken_at >= d.slot_ends_at and s.taken_at <= d.slot_ends_at + ${margin}::interval
                  order by s.taken_at limit 1) as to_at
          from due d
        ),
        measured as (
          select b.id,
                 (select (z.blks_hit - a.blks_hit)::float8
                           / nullif((z.blks_hit - a.blks_hit) + (z.blks_read - a.blks_read), 0)
                  from optimizer.db_snapshots a, optimizer.db_snapshots z
                  where a.taken_at = b.from_at and z.taken_at = b.to_at
                    and a.db_stats_reset is not distinct from z.db_stats_reset
                  limit 1) as hit_ratio,
                 (select coalesce(t.heap_blks_read, 0) + coalesce(t.idx_blks_read, 0)
                  from optimizer.table_deltas(b.from_at, b.to_at) t
                  where t.relid = b.relid and not t.reset_detected) as blocks_read
          from bounds b
        )
        update optimizer.buffer_prewarms p
        set settled_at = ${now.toISOString()}::timestamptz, hit_ratio_after = m.hit_ratio,
            blocks_read_after = m.blocks_read
        from measured m
        where p.id = m.id
        returning p.relation, p.slot_starts_at, p.expected_blocks_avoided, p.hit_ratio_after, p.blocks_read_after`;
      return rows.map((row) => ({
        relation: row.relation,
        slotStartsAt: new Date(row.slot_starts_at),
        expectedBlocksAvoided: Number(row.expected_blocks_avoided),
        hitRatioAfter: row.hit_ratio_after,
        blocksReadAfter: row.blocks_read_after === null ? null : Number(row.blocks_read_after),
      }));
    },
  };
}
