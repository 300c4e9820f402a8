-- Each snapshot of a statement also keeps the sum of the squares of its execution times, so that a window's
-- per-call variance is known: a check of an action (shared/system/verify_gain.ts) then tells a slowdown from
-- the noise of a few hundred calls. pg_stat_statements keeps each statement's mean and population standard
-- deviation since it began counting it; the sum of squares follows from them and, unlike the standard
-- deviation, is differenced between two snapshots like the other counters. Rows stored before this migration
-- have none (null), and neither do deltas that start at one of them.

alter table optimizer.db_snapshot_statements add column if not exists sum_sq_exec_time double precision;

-- As in 20261126000100, and the sum of squares stored.
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
           -- pg_stat_statements keeps the population variance: sum of squares = calls × (stddev² + mean²)
           s.calls * (s.stddev_exec_time ^ 2 + s.mean_exec_time ^ 2) as sum_sq_exec_time,
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
    total_plan_time, sum_sq_exec_time
  )
  select new_snapshot_id, c.userid, c.dbid, c.queryid, c.toplevel, c.calls, c.total_exec_time, c.rows,
         c.shared_blks_hit, c.shared_blks_read, c.shared_blks_dirtied, c.shared_blks_written, c.temp_blks_read,
         c.temp_blks_written, c.plans, c.total_plan_time, c.sum_sq_exec_time
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

-- As in 20261126000100, and the sum of squares' delta returned (a new output column: dropped and created).
drop function if exists optimizer.statement_deltas(timestamptz, timestamptz);
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
  to_taken_at timestamptz,
  sum_sq_exec_time double precision
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
           b.plans as b_plans, b.total_plan_time as b_total_plan_time, b.sum_sq_exec_time as b_sum_sq_exec_time,
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
         p.from_taken_at, p.to_taken_at,
         -- null when either end's snapshot was taken before sums of squares were kept
         case when p.went_back or p.b_calls is null then p.sum_sq_exec_time
              else p.sum_sq_exec_time - p.b_sum_sq_exec_time end
  from pairs p
  left join optimizer.db_statement_texts t on t.queryid = p.queryid
  order by 7 desc;
$$;

-- Privileges of the function created again (a new function is executable by public unless revoked).
revoke all on function optimizer.statement_deltas(timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function optimizer.statement_deltas(timestamptz, timestamptz) to service_role;
