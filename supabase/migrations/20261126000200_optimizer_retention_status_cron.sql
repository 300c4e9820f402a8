-- Retention, the status overview and the pg_cron jobs of the metric store, then the schema's privileges.

-- Deletes what is older than the retention settings in optimizer.config (defaults as in shared/config/config.ts)
-- and makes sure tomorrow's event partitions exist. Returns what it did.
create or replace function optimizer.apply_retention(now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  started timestamptz := pg_catalog.clock_timestamp();
  raw_days integer := optimizer.retention_days('rawEventsDays', 14);
  rollup_days integer := optimizer.retention_days('rollupDays', 90);
  snapshot_days integer := optimizer.retention_days('snapshotDays', 14);
  run_days integer := optimizer.retention_days('runDays', 30);
  oldest_kept_day date := (now at time zone 'utc')::date - raw_days;
  snapshot_cutoff timestamptz := now - pg_catalog.make_interval(days => snapshot_days);
  partition_name text;
  dropped text[] := '{}';
  created integer;
  first_kept bigint;
  first_kept_epoch bigint;
  carried bigint := 0;
  rollups_deleted bigint;
  snapshots_deleted bigint;
  texts_deleted bigint;
  runs_deleted bigint;
  cron_runs_deleted bigint;
  summary jsonb;
begin
  created := optimizer.ensure_metric_event_partitions(now);

  for partition_name in
    select c.relname
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'optimizer.metric_events'::regclass
      and c.relname ~ '^metric_events_p[0-9]{8}$' -- only the daily partitions ensure_metric_event_partitions names
      and pg_catalog.to_date(pg_catalog.substr(c.relname, 16), 'YYYYMMDD') < oldest_kept_day
    order by c.relname
  loop
    execute pg_catalog.format('drop table if exists optimizer.%I', partition_name);
    dropped := dropped || partition_name;
  end loop;

  delete from optimizer.metric_rollups r where r.minute < now - pg_catalog.make_interval(days => rollup_days);
  get diagnostics rollups_deleted = row_count;

  -- Statement rows are stored only when they change, so the oldest kept snapshot needs a copy of every
  -- live statement's newest older row before those go: otherwise deltas from it would count the whole
  -- history as new. Statements no longer in pg_stat_statements are not carried (they restart from zero
  -- if they come back).
  select min(s.id) into first_kept from optimizer.db_snapshots s where s.taken_at >= snapshot_cutoff;
  if first_kept is not null then
    first_kept_epoch := optimizer.statements_epoch_start(first_kept);
    with live as (
      select s.userid, s.dbid, s.queryid, coalesce((pg_catalog.to_jsonb(s) ->> 'toplevel')::boolean, true) as toplevel
      from extensions.pg_stat_statements(false) s
      where s.queryid is not null
    ),
    copied as (
      insert into optimizer.db_snapshot_statements (
        snapshot_id, userid, dbid, queryid, toplevel, calls, total_exec_time, rows, shared_blks_hit,
        shared_blks_read, shared_blks_dirtied, shared_blks_written, temp_blks_read, temp_blks_written, plans,
        total_plan_time
      )
      select first_kept, p.userid, p.dbid, p.queryid, p.toplevel, p.calls, p.total_exec_time, p.rows,
             p.shared_blks_hit, p.shared_blks_read, p.shared_blks_dirtied, p.shared_blks_written,
             p.temp_blks_read, p.temp_blks_written, p.plans, p.total_plan_time
      from live lv
      cross join lateral (
        select o.* from optimizer.db_snapshot_statements o
        where o.queryid = lv.queryid and o.userid = lv.userid and o.dbid = lv.dbid and o.toplevel = lv.toplevel
          and o.snapshot_id <= first_kept and o.snapshot_id >= first_kept_epoch
        order by o.snapshot_id desc
        limit 1
      ) p
      where p.snapshot_id < first_kept -- a row at first_kept already is the baseline
      on conflict do nothing
      returning 1
    )
    select count(*) into carried from copied;
  end if;

  delete from optimizer.db_snapshots s where s.taken_at < snapshot_cutoff;
  get diagnostics snapshots_deleted = row_count;
  delete from optimizer.db_statement_texts t
  where not exists (select 1 from optimizer.db_snapshot_statements s where s.queryid = t.queryid);
  get diagnostics texts_deleted = row_count;

  delete from optimizer.runs r where r.started_at < now - pg_catalog.make_interval(days => run_days);
  get diagnostics runs_deleted = row_count;

  delete from cron.job_run_details d
  using cron.job j
  where j.jobid = d.jobid
    and j.jobname like 'optimizer-%' -- only this project's jobs: other jobs' history is not ours to prune
    and d.start_time < now - interval '7 days';
  get diagnostics cron_runs_deleted = row_count;

  summary := pg_catalog.jsonb_build_object(
    'step', 'retention',
    'partitions_created', created,
    'partitions_dropped', pg_catalog.to_jsonb(dropped),
    'rollups_deleted', rollups_deleted,
    'snapshots_deleted', snapshots_deleted,
    'statement_rows_carried', carried,
    'statement_texts_deleted', texts_deleted,
    'runs_deleted', runs_deleted,
    'cron_runs_deleted', cron_runs_deleted
  );
  insert into optimizer.runs (module, trigger, status, started_at, finished_at, summary)
  values ('monitoring', 'cron', 'succeeded', started, pg_catalog.clock_timestamp(), summary);
  return summary;
end;
$$;

-- Health of the metric store in one call, cheap at any data volume: row counts of the big tables are the
-- planner's estimates (pg_class.reltuples, refreshed by autovacuum/analyze), events not yet rolled up are
-- the id distance past the watermark (exact but for ids of rolled-back batches), small tables are counted.
create or replace function optimizer.status_overview(now timestamptz default now())
returns jsonb
language sql
stable
set search_path = ''
as $$
  with newest as (
    select (select max(r.minute) from optimizer.metric_rollups r) as rollup_minute,
           (select max(s.taken_at) from optimizer.db_snapshots s) as snapshot_at
  )
  select pg_catalog.jsonb_build_object(
    'generated_at', now,
    'volumes', pg_catalog.jsonb_build_object(
      'events_estimate', (
        select coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
        from pg_catalog.pg_inherits i
        join pg_catalog.pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'optimizer.metric_events'::regclass
      ),
      'event_partitions', (
        select count(*) from pg_catalog.pg_inherits i where i.inhparent = 'optimizer.metric_events'::regclass
      ),
      'events_pending_rollup', greatest(
        coalesce((select max(e.id) from optimizer.metric_events e), 0)
          - (select s.last_event_id from optimizer.rollup_state s where s.id), 0),
      'rollup_rows_estimate', (
        select greatest(c.reltuples, 0)::bigint from pg_catalog.pg_class c
        where c.oid = 'optimizer.metric_rollups'::regclass
      ),
      'snapshots', (select count(*) from optimizer.db_snapshots),
      'statement_rows_estimate', (
        select greatest(c.reltuples, 0)::bigint from pg_catalog.pg_class c
        where c.oid = 'optimizer.db_snapshot_statements'::regclass
      )
    ),
    'rollups', pg_catalog.jsonb_build_object(
      'newest_minute', n.rollup_minute,
      'age_seconds', extract(epoch from now - n.rollup_minute),
      'watermark', (select s.last_event_id from optimizer.rollup_state s where s.id)
    ),
    'snapshots', pg_catalog.jsonb_build_object(
      'newest_at', n.snapshot_at,
      'age_seconds', extract(epoch from now - n.snapshot_at)
    ),
    'cron_jobs', (
      select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'jobname', j.jobname,
        'schedule', j.schedule,
        'active', j.active,
        'last_status', last_run.status,
        'last_start', last_run.start_time,
        'last_end', last_run.end_time,
        'last_message', last_run.return_message,
        'failures_24h', (
          select count(*) from cron.job_run_details d
          where d.jobid = j.jobid and d.status = 'failed' and d.start_time >= now - interval '24 hours'
        )
      ) order by j.jobname), '[]'::jsonb)
      from cron.job j
      left join lateral (
        select d.status, d.start_time, d.end_time, d.return_message
        from cron.job_run_details d
        where d.jobid = j.jobid
        order by d.runid desc
        limit 1
      ) last_run on true
      where j.jobname like 'optimizer-%' -- this project's jobs only
    ),
    'modules', (
      select coalesce(pg_catalog.jsonb_object_agg(m.module, pg_catalog.jsonb_build_object(
        'trigger', r.trigger, 'status', r.status, 'started_at', r.started_at, 'finished_at', r.finished_at,
        'summary', r.summary, 'error', r.error
      )), '{}'::jsonb)
      from pg_catalog.unnest(array['predictive', 'systemWide', 'recommendations', 'warmer', 'cache',
                                   'monitoring']) m(module)
      -- one index probe per module rather than walking every run
      cross join lateral (
        select x.* from optimizer.runs x where x.module = m.module order by x.started_at desc limit 1
      ) r
    )
  )
  from newest n;
$$;

-- pg_cron jobs; scheduling an existing name replaces that job.
select cron.schedule('optimizer-rollup', '* * * * *', 'select optimizer.rollup_metrics()');
select cron.schedule('optimizer-db-snapshot', '*/5 * * * *', 'select optimizer.take_db_snapshot()');
select cron.schedule('optimizer-retention', '17 3 * * *', 'select optimizer.apply_retention()');

-- Privileges of everything the metric store migrations created (functions are executable by public
-- unless revoked, whatever the schema's default privileges say).
revoke all on all tables in schema optimizer from public, anon, authenticated;
revoke all on all sequences in schema optimizer from public, anon, authenticated;
revoke all on all functions in schema optimizer from public, anon, authenticated;
grant usage on schema optimizer to service_role;
grant all on all tables in schema optimizer to service_role;
grant all on all sequences in schema optimizer to service_role;
grant execute on all functions in schema optimizer to service_role;
