-- Database snapshots: cumulative counters of pg_stat_database, pg_stat_statements and the user tables,
-- taken every 5 minutes, with the statistics reset timestamps so that deltas over any window are computed
-- without reading a reset as a negative rate.

-- One row per snapshot: database-wide counters, connections and the pg_stat_statements epoch.
create table if not exists optimizer.db_snapshots (
  id bigint generated always as identity primary key,
  taken_at timestamptz not null default now(),
  xact_commit bigint not null,
  xact_rollback bigint not null,
  blks_read bigint not null,
  blks_hit bigint not null,
  tup_returned bigint not null,
  tup_fetched bigint not null,
  tup_inserted bigint not null,
  tup_updated bigint not null,
  tup_deleted bigint not null,
  conflicts bigint not null,
  temp_files bigint not null,
  temp_bytes bigint not null,
  deadlocks bigint not null,
  db_stats_reset timestamptz, -- pg_stat_database.stats_reset: null until the first reset
  statements_reset timestamptz, -- pg_stat_statements_info.stats_reset: the epoch of the statement counters
  statements_dealloc bigint, -- pg_stat_statements_info.dealloc: entries evicted since statements_reset
  connections jsonb not null, -- client backends by state, e.g. {"active": 3, "idle": 12}
  connections_total integer not null,
  max_connections integer not null,
  database_size_bytes bigint not null
);
alter table optimizer.db_snapshots enable row level security;
create index if not exists db_snapshots_taken_at_idx on optimizer.db_snapshots (taken_at);

-- Statement counters, stored only when they changed since the statement's previous row in the same
-- pg_stat_statements epoch: most statements are idle most of the time, and a full copy every 5 minutes
-- would outgrow a small project's disk. The value of a statement at snapshot S is therefore its newest
-- row at or before S within S's epoch (apply_retention carries those rows forward before deleting).
create table if not exists optimizer.db_snapshot_statements (
  snapshot_id bigint not null references optimizer.db_snapshots (id) on delete cascade,
  userid oid not null,
  dbid oid not null,
  queryid bigint not null,
  toplevel boolean not null,
  calls bigint not null,
  total_exec_time double precision not null,
  rows bigint not null,
  shared_blks_hit bigint not null,
  shared_blks_read bigint not null,
  shared_blks_dirtied bigint not null,
  shared_blks_written bigint not null,
  temp_blks_read bigint not null,
  temp_blks_written bigint not null,
  plans bigint, -- null when pg_stat_statements has no planning counters
  total_plan_time double precision,
  primary key (snapshot_id, userid, dbid, queryid, toplevel)
);
alter table optimizer.db_snapshot_statements enable row level security;
-- "newest row of this statement at or before snapshot S"
create index if not exists db_snapshot_statements_key_idx
  on optimizer.db_snapshot_statements (queryid, userid, dbid, toplevel, snapshot_id);

-- Query texts once per queryid (a text is the same for every snapshot of it).
create table if not exists optimizer.db_statement_texts (
  queryid bigint primary key,
  query text not null,
  first_seen_at timestamptz not null default now()
);
alter table optimizer.db_statement_texts enable row level security;

-- Per-table counters (pg_stat_user_tables + pg_statio_user_tables), one row per table per snapshot.
create table if not exists optimizer.db_snapshot_tables (
  snapshot_id bigint not null references optimizer.db_snapshots (id) on delete cascade,
  relid oid not null,
  schemaname name not null,
  relname name not null,
  seq_scan bigint,
  seq_tup_read bigint,
  idx_scan bigint,
  idx_tup_fetch bigint,
  n_tup_ins bigint,
  n_tup_upd bigint,
  n_tup_hot_upd bigint,
  n_tup_del bigint,
  n_live_tup bigint,
  n_dead_tup bigint,
  heap_blks_read bigint,
  heap_blks_hit bigint,
  idx_blks_read bigint,
  idx_blks_hit bigint,
  last_vacuum timestamptz,
  last_autovacuum timestamptz,
  last_analyze timestamptz,
  last_autoanalyze timestamptz,
  primary key (snapshot_id, relid)
);
alter table optimizer.db_snapshot_tables enable row level security;

-- First snapshot of the pg_stat_statements epoch that snapshot `at_id` belongs to.
create or replace function optimizer.statements_epoch_start(at_id bigint)
returns bigint
language sql
stable
set search_path = ''
as $$
  select min(s.id)
  from optimizer.db_snapshots s
  join optimizer.db_snapshots a on a.id = at_id
  where s.statements_reset is not distinct from a.statements_reset and s.id <= a.id;
$$;

create or replace function optimizer.take_db_snapshot()
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  started timestamptz := pg_catalog.clock_timestamp();
  new_snapshot_id bigint;
  epoch_start bigint;
  statements_stored bigint;
  tables_stored bigint;
begin
  insert into optimizer.db_snapshots (
    xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated,
    tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, db_stats_reset, statements_reset,
    statements_dealloc, connections, connections_total, max_connections, database_size_bytes
  )
  select d.xact_commit, d.xact_rollback, d.blks_read, d.blks_hit, d.tup_returned, d.tup_fetched,
         d.tup_inserted, d.tup_updated, d.tup_deleted, d.conflicts, d.temp_files, d.temp_bytes, d.deadlocks,
         d.stats_reset, i.stats_reset, i.dealloc,
         coalesce(c.by_state, '{}'::jsonb), coalesce(c.total, 0),
         pg_catalog.current_setting('max_connections')::integer,
         pg_catalog.pg_database_size(d.datid)
  from pg_catalog.pg_stat_database d
  left join extensions.pg_stat_statements_info i on true
  left join lateral (
    select pg_catalog.jsonb_object_agg(a.state, a.n) as by_state, sum(a.n)::integer as total
    from (
      select coalesce(sa.state, 'unknown') as state, count(*) as n
      from pg_catalog.pg_stat_activity sa
      where sa.backend_type = 'client backend' -- workers and autovacuum do not use connection slots
      group by 1
    ) a
  ) c on true
  where d.datname = pg_catalog.current_database()
  returning id into new_snapshot_id;

  epoch_start := optimizer.statements_epoch_start(new_snapshot_id);

  -- to_jsonb reads plans/total_plan_time/toplevel so the snapshot also works with pg_stat_statements
  -- versions that lack them.
  with current_stats as (
    select s.userid, s.dbid, s.queryid,
           coalesce((pg_catalog.to_jsonb(s) ->> 'toplevel')::boolean, true) as toplevel,
           s.calls, s.total_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read, s.shared_blks_dirtied,
           s.shared_blks_written, s.temp_blks_read, s.temp_blks_written,
           (pg_catalog.to_jsonb(s) ->> 'plans')::bigint as plans,
           (pg_catalog.to_jsonb(s) ->> 'total_plan_time')::double precision as total_plan_time,
           s.query
    from extensions.pg_stat_statements(true) s
    where s.queryid is not null -- entries whose text was never hashed have no key to follow
  ),
  changed as (
    select cs.*
    from current_stats cs
    where not exists (
      select 1
      from (
        select p.calls, p.total_exec_time
        from optimizer.db_snapshot_statements p
        where p.queryid = cs.queryid and p.userid = cs.userid and p.dbid = cs.dbid
          and p.toplevel = cs.toplevel and p.snapshot_id >= epoch_start and p.snapshot_id < new_snapshot_id
        order by p.snapshot_id desc
        limit 1
      ) previous
      where previous.calls = cs.calls and previous.total_exec_time = cs.total_exec_time
    )
  ),
  texts as (
    insert into optimizer.db_statement_texts (queryid, query)
    select distinct on (c.queryid) c.queryid, c.query from changed c where c.query is not null
    on conflict (queryid) do nothing
  )
  insert into optimizer.db_snapshot_statements (
    snapshot_id, userid, dbid, queryid, toplevel, calls, total_exec_time, rows, shared_blks_hit,
    shared_blks_read, shared_blks_dirtied, shared_blks_written, temp_blks_read, temp_blks_written, plans,
    total_plan_time
  )
  select new_snapshot_id, c.userid, c.dbid, c.queryid, c.toplevel, c.calls, c.total_exec_time, c.rows,
         c.shared_blks_hit, c.shared_blks_read, c.shared_blks_dirtied, c.shared_blks_written, c.temp_blks_read,
         c.temp_blks_written, c.plans, c.total_plan_time
  from changed c;
  get diagnostics statements_stored = row_count;

  insert into optimizer.db_snapshot_tables (
    snapshot_id, relid, schemaname, relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins,
    n_tup_upd, n_tup_hot_upd, n_tup_del, n_live_tup, n_dead_tup, heap_blks_read, heap_blks_hit, idx_blks_read,
    idx_blks_hit, last_vacuum, last_autovacuum, last_analyze, last_autoanalyze
  )
  select new_snapshot_id, t.relid, t.schemaname, t.relname, t.seq_scan, t.seq_tup_read, t.idx_scan,
         t.idx_tup_fetch, t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd, t.n_tup_del, t.n_live_tup, t.n_dead_tup,
         io.heap_blks_read, io.heap_blks_hit, io.idx_blks_read, io.idx_blks_hit, t.last_vacuum,
         t.last_autovacuum, t.last_analyze, t.last_autoanalyze
  from pg_catalog.pg_stat_user_tables t
  left join pg_catalog.pg_statio_user_tables io on io.relid = t.relid;
  get diagnostics tables_stored = row_count;

  insert into optimizer.runs (module, trigger, status, started_at, finished_at, summary)
  values ('monitoring', 'cron', 'succeeded', started, pg_catalog.clock_timestamp(),
          pg_catalog.jsonb_build_object('step', 'snapshot', 'snapshot_id', new_snapshot_id,
                                        'statements_stored', statements_stored, 'tables_stored', tables_stored));
  return new_snapshot_id;
end;
$$;

-- Database-level deltas between the first and last snapshot taken in [from_ts, to_ts]. When
-- pg_stat_database.stats_reset changed or any counter went backwards, reset_detected is true and each
-- delta is the counter's value in the last snapshot: what was counted since the reset.
create or replace function optimizer.db_snapshot_deltas(from_ts timestamptz, to_ts timestamptz)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  counters text[] := array['xact_commit', 'xact_rollback', 'blks_read', 'blks_hit', 'tup_returned',
    'tup_fetched', 'tup_inserted', 'tup_updated', 'tup_deleted', 'conflicts', 'temp_files', 'temp_bytes',
    'deadlocks'];
  first_snapshot optimizer.db_snapshots;
  last_snapshot optimizer.db_snapshots;
  first_values jsonb;
  last_values jsonb;
  reset_detected boolean;
  statements_reset_detected boolean;
  seconds double precision;
  deltas jsonb;
begin
  select * into first_snapshot from optimizer.db_snapshots s
  where s.taken_at >= from_ts and s.taken_at <= to_ts order by s.taken_at, s.id limit 1;
  select * into last_snapshot from optimizer.db_snapshots s
  where s.taken_at >= from_ts and s.taken_at <= to_ts order by s.taken_at desc, s.id desc limit 1;

  if first_snapshot.id is null or first_snapshot.id = last_snapshot.id then
    return pg_catalog.jsonb_build_object(
      'snapshots', case when first_snapshot.id is null then 0 else 1 end,
      'reason', 'a delta needs two snapshots in the window',
      'deltas', null
    );
  end if;

  first_values := pg_catalog.to_jsonb(first_snapshot);
  last_values := pg_catalog.to_jsonb(last_snapshot);
  select first_snapshot.db_stats_reset is distinct from last_snapshot.db_stats_reset
         or coalesce(bool_or((last_values ->> k)::numeric < (first_values ->> k)::numeric), false)
  into reset_detected
  from pg_catalog.unnest(counters) k;

  select pg_catalog.jsonb_object_agg(k,
           case when reset_detected then (last_values ->> k)::numeric
                else (last_values ->> k)::numeric - (first_values ->> k)::numeric end)
  into deltas
  from pg_catalog.unnest(counters) k;

  statements_reset_detected := first_snapshot.statements_reset is distinct from last_snapshot.statements_reset
    or last_snapshot.statements_dealloc < first_snapshot.statements_dealloc;
  seconds := extract(epoch from last_snapshot.taken_at - first_snapshot.taken_at);

  return pg_catalog.jsonb_build_object(
    'snapshots', (select count(*) from optimizer.db_snapshots s where s.taken_at >= from_ts and s.taken_at <= to_ts),
    'from', pg_catalog.jsonb_build_object('id', first_snapshot.id, 'taken_at', first_snapshot.taken_at),
    'to', pg_catalog.jsonb_build_object('id', last_snapshot.id, 'taken_at', last_snapshot.taken_at),
    'seconds', seconds,
    'reset_detected', reset_detected,
    'deltas', deltas,
    'cache_hit_ratio', case when (deltas ->> 'blks_hit')::numeric + (deltas ->> 'blks_read')::numeric > 0
      then (deltas ->> 'blks_hit')::numeric / ((deltas ->> 'blks_hit')::numeric + (deltas ->> 'blks_read')::numeric)
      end,
    'statements_reset_detected', statements_reset_detected,
    'statements_dealloc', case when statements_reset_detected then last_snapshot.statements_dealloc
      else last_snapshot.statements_dealloc - first_snapshot.statements_dealloc end,
    'connections', last_snapshot.connections,
    'connections_total', last_snapshot.connections_total,
    'max_connections', last_snapshot.max_connections,
    'database_size_bytes', last_snapshot.database_size_bytes
  );
end;
$$;

-- Per-statement deltas between the first (F) and last (L) snapshot in [from_ts, to_ts], for statements
-- whose counters changed in between. The value at F is the statement's newest row at or before F in L's
-- pg_stat_statements epoch; when there is none because the epoch began after F (a reset inside the
-- window), or a counter went backwards (the entry was evicted and re-created), reset_detected is true
-- and the deltas are the values at L: what was counted since the reset.
create or replace function optimizer.statement_deltas(from_ts timestamptz, to_ts timestamptz)
returns table (
  queryid bigint,
  userid oid,
  dbid oid,
  toplevel boolean,
  query text,
  calls bigint,
  total_exec_time double precision,
  rows bigint,
  shared_blks_hit bigint,
  shared_blks_read bigint,
  shared_blks_dirtied bigint,
  shared_blks_written bigint,
  temp_blks_read bigint,
  temp_blks_written bigint,
  plans bigint,
  total_plan_time double precision,
  reset_detected boolean,
  from_taken_at timestamptz,
  to_taken_at timestamptz
)
language sql
stable
set search_path = ''
as $$
  with f as (
    select s.id, s.taken_at from optimizer.db_snapshots s
    where s.taken_at >= from_ts and s.taken_at <= to_ts order by s.taken_at, s.id limit 1
  ),
  l as (
    select s.id, s.taken_at, optimizer.statements_epoch_start(s.id) as epoch_start
    from optimizer.db_snapshots s
    where s.taken_at >= from_ts and s.taken_at <= to_ts order by s.taken_at desc, s.id desc limit 1
  ),
  ends as (
    -- newest row of every statement that changed after F, up to L
    select distinct on (st.queryid, st.userid, st.dbid, st.toplevel) st.*
    from optimizer.db_snapshot_statements st, f, l
    where st.snapshot_id > f.id and st.snapshot_id <= l.id and st.snapshot_id >= l.epoch_start
    order by st.queryid, st.userid, st.dbid, st.toplevel, st.snapshot_id desc
  ),
  pairs as (
    select e.*, b.calls as b_calls, b.total_exec_time as b_total_exec_time, b.rows as b_rows,
           b.shared_blks_hit as b_shared_blks_hit, b.shared_blks_read as b_shared_blks_read,
           b.shared_blks_dirtied as b_shared_blks_dirtied, b.shared_blks_written as b_shared_blks_written,
           b.temp_blks_read as b_temp_blks_read, b.temp_blks_written as b_temp_blks_written,
           b.plans as b_plans, b.total_plan_time as b_total_plan_time,
           (b.calls is null and l.epoch_start > f.id)
             or e.calls < b.calls or e.total_exec_time < b.total_exec_time or e.rows < b.rows
             or e.shared_blks_hit < b.shared_blks_hit or e.shared_blks_read < b.shared_blks_read
             or e.shared_blks_dirtied < b.shared_blks_dirtied or e.shared_blks_written < b.shared_blks_written
             or e.temp_blks_read < b.temp_blks_read or e.temp_blks_written < b.temp_blks_written
             or e.plans < b.plans or e.total_plan_time < b.total_plan_time as went_back,
           f.taken_at as from_taken_at, l.taken_at as to_taken_at
    from ends e
    cross join f
    cross join l
    left join lateral (
      select p.* from optimizer.db_snapshot_statements p
      where p.queryid = e.queryid and p.userid = e.userid and p.dbid = e.dbid and p.toplevel = e.toplevel
        and p.snapshot_id <= f.id and p.snapshot_id >= l.epoch_start
      order by p.snapshot_id desc
      limit 1
    ) b on true
  )
  select p.queryid, p.userid, p.dbid, p.toplevel, t.query,
         case when p.went_back then p.calls else p.calls - coalesce(p.b_calls, 0) end,
         case when p.went_back then p.total_exec_time else p.total_exec_time - coalesce(p.b_total_exec_time, 0) end,
         case when p.went_back then p.rows else p.rows - coalesce(p.b_rows, 0) end,
         case when p.went_back then p.shared_blks_hit else p.shared_blks_hit - coalesce(p.b_shared_blks_hit, 0) end,
         case when p.went_back then p.shared_blks_read else p.shared_blks_read - coalesce(p.b_shared_blks_read, 0) end,
         case when p.went_back then p.shared_blks_dirtied
              else p.shared_blks_dirtied - coalesce(p.b_shared_blks_dirtied, 0) end,
         case when p.went_back then p.shared_blks_written
              else p.shared_blks_written - coalesce(p.b_shared_blks_written, 0) end,
         case when p.went_back then p.temp_blks_read else p.temp_blks_read - coalesce(p.b_temp_blks_read, 0) end,
         case when p.went_back then p.temp_blks_written
              else p.temp_blks_written - coalesce(p.b_temp_blks_written, 0) end,
         case when p.went_back then p.plans else p.plans - coalesce(p.b_plans, 0) end,
         case when p.went_back then p.total_plan_time else p.total_plan_time - coalesce(p.b_total_plan_time, 0) end,
         coalesce(p.went_back, false),
         p.from_taken_at, p.to_taken_at
  from pairs p
  left join optimizer.db_statement_texts t on t.queryid = p.queryid
  order by 7 desc;
$$;

-- Per-table deltas between the first and last snapshot in [from_ts, to_ts]; reset_detected (and deltas
-- equal to the last values) when the database statistics were reset or a counter went backwards.
create or replace function optimizer.table_deltas(from_ts timestamptz, to_ts timestamptz)
returns table (
  relid oid,
  schemaname name,
  relname name,
  seq_scan bigint,
  seq_tup_read bigint,
  idx_scan bigint,
  idx_tup_fetch bigint,
  n_tup_ins bigint,
  n_tup_upd bigint,
  n_tup_hot_upd bigint,
  n_tup_del bigint,
  heap_blks_read bigint,
  heap_blks_hit bigint,
  idx_blks_read bigint,
  idx_blks_hit bigint,
  n_live_tup bigint,
  n_dead_tup bigint,
  reset_detected boolean,
  from_taken_at timestamptz,
  to_taken_at timestamptz
)
language sql
stable
set search_path = ''
as $$
  with f as (
    select s.id, s.taken_at, s.db_stats_reset from optimizer.db_snapshots s
    where s.taken_at >= from_ts and s.taken_at <= to_ts order by s.taken_at, s.id limit 1
  ),
  l as (
    select s.id, s.taken_at, s.db_stats_reset from optimizer.db_snapshots s
    where s.taken_at >= from_ts and s.taken_at <= to_ts order by s.taken_at desc, s.id desc limit 1
  ),
  pairs as (
    select e.*, b.seq_scan as b_seq_scan, b.seq_tup_read as b_seq_tup_read, b.idx_scan as b_idx_scan,
           b.idx_tup_fetch as b_idx_tup_fetch, b.n_tup_ins as b_n_tup_ins, b.n_tup_upd as b_n_tup_upd,
           b.n_tup_hot_upd as b_n_tup_hot_upd, b.n_tup_del as b_n_tup_del,
           b.heap_blks_read as b_heap_blks_read, b.heap_blks_hit as b_heap_blks_hit,
           b.idx_blks_read as b_idx_blks_read, b.idx_blks_hit as b_idx_blks_hit,
           coalesce(f.db_stats_reset is distinct from l.db_stats_reset
             or e.seq_scan < b.seq_scan or e.seq_tup_read < b.seq_tup_read or e.idx_scan < b.idx_scan
             or e.idx_tup_fetch < b.idx_tup_fetch or e.n_tup_ins < b.n_tup_ins or e.n_tup_upd < b.n_tup_upd
             or e.n_tup_hot_upd < b.n_tup_hot_upd or e.n_tup_del < b.n_tup_del
             or e.heap_blks_read < b.heap_blks_read or e.heap_blks_hit < b.heap_blks_hit
             or e.idx_blks_read < b.idx_blks_read or e.idx_blks_hit < b.idx_blks_hit, false) as went_back,
           f.taken_at as from_taken_at, l.taken_at as to_taken_at
    from f
    join l on l.id <> f.id -- one snapshot has no delta
    join optimizer.db_snapshot_tables e on e.snapshot_id = l.id
    left join optimizer.db_snapshot_tables b on b.snapshot_id = f.id and b.relid = e.relid
  )
  select p.relid, p.schemaname, p.relname,
         case when p.went_back then p.seq_scan else p.seq_scan - coalesce(p.b_seq_scan, 0) end,
         case when p.went_back then p.seq_tup_read else p.seq_tup_read - coalesce(p.b_seq_tup_read, 0) end,
         case when p.went_back then p.idx_scan else p.idx_scan - coalesce(p.b_idx_scan, 0) end,
         case when p.went_back then p.idx_tup_fetch else p.idx_tup_fetch - coalesce(p.b_idx_tup_fetch, 0) end,
         case when p.went_back then p.n_tup_ins else p.n_tup_ins - coalesce(p.b_n_tup_ins, 0) end,
         case when p.went_back then p.n_tup_upd else p.n_tup_upd - coalesce(p.b_n_tup_upd, 0) end,
         case when p.went_back then p.n_tup_hot_upd else p.n_tup_hot_upd - coalesce(p.b_n_tup_hot_upd, 0) end,
         case when p.went_back then p.n_tup_del else p.n_tup_del - coalesce(p.b_n_tup_del, 0) end,
         case when p.went_back then p.heap_blks_read else p.heap_blks_read - coalesce(p.b_heap_blks_read, 0) end,
         case when p.went_back then p.heap_blks_hit else p.heap_blks_hit - coalesce(p.b_heap_blks_hit, 0) end,
         case when p.went_back then p.idx_blks_read else p.idx_blks_read - coalesce(p.b_idx_blks_read, 0) end,
         case when p.went_back then p.idx_blks_hit else p.idx_blks_hit - coalesce(p.b_idx_blks_hit, 0) end,
         p.n_live_tup, p.n_dead_tup, p.went_back, p.from_taken_at, p.to_taken_at
  from pairs p
  order by 5 desc nulls last;
$$;
