-- Database buffer warming by the predictive run (docs/forecasting.md, "Buffer warming"): the tables it loaded
-- into shared buffers ahead of a time of day at which the buffer-cache hit ratio dipped before, what it expected,
-- and the hit ratio that followed. pg_cron now asks for the whole predictive run (POST /predictive/run), which
-- refreshes the forecasts and then acts on them.

-- pg_prewarm loads a relation into shared buffers; pg_buffercache tells which blocks are there already, so that
-- a resident table is not read again. Both are on hosted Supabase's extension allow-list and in Debian's
-- postgresql-contrib; Supabase keeps extensions in schema `extensions`. Where one is not available, the
-- predictive run says so (prewarm_table() raises, table_residency() leaves residency unknown).
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_prewarm') then
    create extension if not exists pg_prewarm with schema extensions;
  end if;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_buffercache') then
    create extension if not exists pg_buffercache with schema extensions;
  end if;
end;
$$;

create table if not exists optimizer.buffer_prewarms (
  id bigint generated always as identity primary key,
  run_id bigint not null references optimizer.runs (id) on delete cascade,
  relid oid not null,
  relation text not null,
  -- the time-of-day slot (UTC 'hh:mm') whose dips the load is for, and this occurrence of it
  slot text not null check (slot ~ '^[0-2][0-9]:[0-5][0-9]$'),
  slot_starts_at timestamptz not null,
  slot_ends_at timestamptz not null check (slot_ends_at > slot_starts_at),
  loaded_at timestamptz not null,
  blocks_loaded bigint not null check (blocks_loaded >= 0),
  expected_blocks_avoided bigint not null check (expected_blocks_avoided >= 0),
  -- null when the read time per block is not measured (track_io_timing off)
  expected_saved_ms double precision,
  reason text not null,
  -- once the slot has ended and snapshots cover it: the database's hit ratio over the slot and the blocks this
  -- table still read from disk (null when no snapshots cover the slot)
  settled_at timestamptz,
  hit_ratio_after double precision check (hit_ratio_after between 0 and 1),
  blocks_read_after bigint,
  -- one load per table and slot occurrence, whatever the number of runs before it
  unique (slot_starts_at, relid)
);
alter table optimizer.buffer_prewarms enable row level security;
-- A run's loads, and its delete cascading to them.
create index if not exists buffer_prewarms_run_id_idx on optimizer.buffer_prewarms (run_id);
-- The loads whose slot has ended and that are not settled yet.
create index if not exists buffer_prewarms_unsettled_idx on optimizer.buffer_prewarms (slot_ends_at)
  where settled_at is null;

-- The warmer's pings of a run likewise: a run's delete (retention) cascades to them.
create index if not exists warm_pings_run_id_idx on optimizer.warm_pings (run_id);

-- Loads a table and every valid index of it into shared buffers; returns the blocks read. Runs as its caller:
-- pg_prewarm needs the right to select from the relation. pg_prewarm is found in whichever schema it was
-- installed in (a project may have had it before this migration).
create or replace function optimizer.prewarm_table(table_oid oid)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  prewarm_schema text :=
    (select e.extnamespace::pg_catalog.regnamespace::text from pg_catalog.pg_extension e where e.extname = 'pg_prewarm');
  loaded bigint;
begin
  if prewarm_schema is null then
    raise exception 'pg_prewarm is not installed' using hint = 'create extension pg_prewarm with schema extensions';
  end if;
  execute pg_catalog.format(
    'select coalesce(sum(%s.pg_prewarm(r.oid::pg_catalog.regclass)), 0)::bigint
     from pg_catalog.pg_class r
     where r.oid = $1
        or r.oid in (select i.indexrelid from pg_catalog.pg_index i where i.indrelid = $1 and i.indisvalid)',
    prewarm_schema)
    into loaded using table_oid;
  return loaded;
end;
$$;

-- Blocks of each table (heap and valid indexes) and, with pg_buffercache, how many of them are in shared
-- buffers now: null without it, or without the right to read it (pg_monitor's, by default). Tables that no
-- longer exist are left out.
create or replace function optimizer.table_residency(table_oids oid[])
returns table (relid oid, relation text, blocks bigint, resident_blocks bigint)
language plpgsql
stable
set search_path = ''
as $$
declare
  buffercache_schema text :=
    (select e.extnamespace::pg_catalog.regnamespace::text from pg_catalog.pg_extension e
     where e.extname = 'pg_buffercache');
  readable boolean := buffercache_schema is not null
    and pg_catalog.has_table_privilege(buffercache_schema || '.pg_buffercache', 'select');
begin
  return query execute pg_catalog.format(
    'with rels as (
       select t.oid as table_oid, r.oid as rel_oid, r.relfilenode
       from pg_catalog.pg_class t
       join pg_catalog.pg_class r
         on r.oid = t.oid
         or r.oid in (select i.indexrelid from pg_catalog.pg_index i where i.indrelid = t.oid and i.indisvalid)
       where t.oid = any($1) and t.relkind in (''r'', ''m'')
     ),
     sizes as (
       select r.table_oid,
              sum(pg_catalog.pg_relation_size(r.rel_oid))::bigint
                / pg_catalog.current_setting(''block_size'')::bigint as blocks,
              pg_catalog.array_agg(r.relfilenode) as filenodes
       from rels r
       group by r.table_oid
     )
     select s.table_oid, s.table_oid::pg_catalog.regclass::text, s.blocks, %s
     from sizes s',
    case when readable then pg_catalog.format(
      -- the main fork only, as pg_relation_size() counts: not the free space and visibility maps
      '(select count(*) from %s.pg_buffercache b
        where b.relfilenode = any(s.filenodes) and b.relforknumber = 0
          and b.reldatabase = (select d.oid from pg_catalog.pg_database d
                               where d.datname = pg_catalog.current_database()))',
      buffercache_schema)
    else 'null::bigint' end)
    using table_oids;
end;
$$;

-- The buffer loads of the last `since`, newest first (at most 50), each with what it expected and, once settled,
-- what followed: what GET /status shows as `bufferLoads`.
create or replace function optimizer.buffer_activity(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'relation', p.relation, 'slot', p.slot, 'slot_starts_at', p.slot_starts_at, 'loaded_at', p.loaded_at,
    'blocks_loaded', p.blocks_loaded, 'expected_blocks_avoided', p.expected_blocks_avoided,
    'expected_saved_ms', p.expected_saved_ms, 'settled_at', p.settled_at, 'hit_ratio_after', p.hit_ratio_after,
    'blocks_read_after', p.blocks_read_after
  ) order by p.loaded_at desc, p.id desc), '[]'::jsonb)
  from (
    select * from optimizer.buffer_prewarms b where b.loaded_at >= since order by b.loaded_at desc, b.id desc limit 50
  ) p;
end;

-- The status overview gains the buffer loads of the last 7 days.
create or replace function optimizer.status_overview(now timestamptz default now())
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select optimizer.pipeline_overview(now) || pg_catalog.jsonb_build_object(
    'modules', optimizer.module_last_runs(),
    'forecasts', optimizer.forecast_accuracy(now - interval '7 days'),
    'warming', optimizer.warm_activity(now - interval '24 hours'),
    'buffer_loads', optimizer.buffer_activity(now - interval '7 days')
  );
end;

-- The predictive run, through request_due_run (defaults: on, every 15 minutes, runs of at most 60 s): the same
-- job (optimizer-predictive) now asks for /predictive/run instead of /predictive/refresh.
create or replace function optimizer.request_predictive_refresh(now timestamptz default now())
returns bigint
language sql
set search_path = ''
as $$
  select optimizer.request_due_run(
    'predictive',
    'predictive/run',
    coalesce((c -> 'modules' ->> 'predictive')::boolean, true),
    coalesce((c -> 'intervals' ->> 'predictiveMinutes')::integer, 15),
    coalesce((c -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60),
    now
  )
  from optimizer.stored_config() c;
$$;

revoke all on optimizer.buffer_prewarms from public, anon, authenticated;
grant all on optimizer.buffer_prewarms to service_role;
revoke all on function optimizer.prewarm_table(oid), optimizer.table_residency(oid[]),
  optimizer.buffer_activity(timestamptz), optimizer.status_overview(timestamptz),
  optimizer.request_predictive_refresh(timestamptz) from public, anon, authenticated;
grant execute on function optimizer.prewarm_table(oid), optimizer.table_residency(oid[]),
  optimizer.buffer_activity(timestamptz), optimizer.status_overview(timestamptz),
  optimizer.request_predictive_refresh(timestamptz) to service_role;
