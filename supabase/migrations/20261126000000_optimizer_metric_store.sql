-- Metric store of the performance autopilot: raw events (partitioned by day), per-minute rollups with
-- mergeable latency histograms, the config row and the run log. Everything lives in schema optimizer,
-- which the API roles cannot reach: the edge functions connect as postgres through SUPABASE_DB_URL.
-- Idempotent: every statement can run again on a database that already has it.

-- pg_catalog as on hosted Supabase (its objects live in schema cron either way; not in public: advisor lint 0014)
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_stat_statements with schema extensions;

create schema if not exists optimizer;

-- Nothing here is for the API roles. Default privileges cover what later migrations create; EXECUTE on
-- functions is granted to public globally, which a per-schema default cannot take back, so every
-- migration that adds functions ends with an explicit revoke (see 20261126000200).
revoke all on schema optimizer from public, anon, authenticated;
alter default privileges in schema optimizer revoke all on tables from public, anon, authenticated;
alter default privileges in schema optimizer revoke all on sequences from public, anon, authenticated;
alter default privileges in schema optimizer revoke all on functions from public, anon, authenticated;
grant usage on schema optimizer to service_role;
alter default privileges in schema optimizer grant all on tables to service_role;
alter default privileges in schema optimizer grant all on sequences to service_role;
alter default privileges in schema optimizer grant execute on functions to service_role;

-- Advisory lock keys (bigint, fixed so that every session agrees on them):
--   8061130001  metric ingest: shared by every ingest transaction, taken exclusively by the rollup for an instant
--   8061130002  rollup: serialises concurrent rollup_metrics() calls

-- Config: one row; '{}' means "every setting at its default" (shared/config/config.ts holds the defaults).
create table if not exists optimizer.config (
  id boolean primary key default true check (id),
  value jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now(),
  updated_by text
);
alter table optimizer.config enable row level security;
insert into optimizer.config (id, value) values (true, '{}'::jsonb) on conflict (id) do nothing;

-- Run log of every module's periodic or requested work.
create table if not exists optimizer.runs (
  id bigint generated always as identity primary key,
  module text not null
    check (module in ('predictive', 'systemWide', 'recommendations', 'warmer', 'cache', 'monitoring')),
  trigger text not null check (trigger in ('cron', 'api', 'manual')),
  status text not null check (status in ('running', 'succeeded', 'failed', 'skipped')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  summary jsonb not null default '{}'::jsonb,
  error text
);
alter table optimizer.runs enable row level security;
create index if not exists runs_module_started_at_idx on optimizer.runs (module, started_at desc);

-- Retention settings as stored in optimizer.config, with the same fallbacks as RetentionSchema in
-- shared/config/config.ts (rawEventsDays 14, rollupDays 90, snapshotDays 14, runDays 30).
create or replace function optimizer.retention_days(setting text, fallback integer)
returns integer
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select (c.value -> 'retention' ->> setting)::integer from optimizer.config c where c.id),
    fallback
  );
$$;

-- Raw events. Few indexes on purpose: the primary key (id, occurred_at) serves the rollup's id-range scans
-- and every extra index slows the 20k events/s ingest path.
-- The identity uses cache 1 so that ids are handed out in call order across sessions: the rollup's
-- watermark ("every id <= N is committed") would skip events whose ids a session had cached in advance.
create table if not exists optimizer.metric_events (
  id bigint generated always as identity (cache 1),
  occurred_at timestamptz not null,
  system text not null,
  target text not null,
  kind text not null,
  latency_ms double precision,
  error boolean not null default false,
  cold_start boolean not null default false,
  cache_hit boolean, -- null: not a cache event
  attrs jsonb not null default '{}'::jsonb,
  reporter text,
  primary key (id, occurred_at)
) partition by range (occurred_at);
alter table optimizer.metric_events enable row level security;

-- Daily partitions (UTC days) from today - rawEventsDays to today + 7 days. No default partition: an
-- event dated outside that range is rejected (the core refuses such events before they get here), and
-- a default partition would make creating every later partition scan it.
create or replace function optimizer.ensure_metric_event_partitions(now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  today date := (now at time zone 'utc')::date;
  raw_days integer := optimizer.retention_days('rawEventsDays', 14);
  day date;
  partition_name text;
  created integer := 0;
begin
  for day in select d::date from pg_catalog.generate_series(today - raw_days, today + 7, interval '1 day') d loop
    partition_name := 'metric_events_p' || pg_catalog.to_char(day, 'YYYYMMDD');
    if pg_catalog.to_regclass('optimizer.' || partition_name) is null then
      execute pg_catalog.format(
        'create table if not exists optimizer.%I partition of optimizer.metric_events for values from (%L) to (%L)',
        partition_name, day::text || ' 00:00:00+00', (day + 1)::text || ' 00:00:00+00'
      );
      execute pg_catalog.format('alter table optimizer.%I enable row level security', partition_name);
      execute pg_catalog.format('revoke all on table optimizer.%I from public, anon, authenticated', partition_name);
      created := created + 1;
    end if;
  end loop;
  return created;
end;
$$;

select optimizer.ensure_metric_event_partitions();

-- Inserts a batch of events (already validated by the core) in one statement. The shared ingest lock,
-- held until commit, lets the rollup wait for every in-flight batch before it fixes its watermark.
create or replace function optimizer.ingest_metric_events(events jsonb, reporter text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  inserted integer;
begin
  perform pg_catalog.pg_advisory_xact_lock_shared(8061130001);
  insert into optimizer.metric_events
    (occurred_at, system, target, kind, latency_ms, error, cold_start, cache_hit, attrs, reporter)
  select e.occurred_at, e.system, e.target, e.kind, e.latency_ms,
         coalesce(e.error, false), coalesce(e.cold_start, false),
         case e.cache when 'hit' then true when 'miss' then false end,
         coalesce(e.attrs, '{}'::jsonb), ingest_metric_events.reporter
  from pg_catalog.jsonb_to_recordset(events) as e(
    occurred_at timestamptz, system text, target text, kind text, latency_ms double precision,
    error boolean, cold_start boolean, cache text, attrs jsonb
  );
  get diagnostics inserted = row_count;
  return inserted;
end;
$$;

-- Log-bucket index of a latency, identical to bucketIndex in shared/metrics/latency_histogram.ts:
-- relative accuracy 0.01, gamma = (1 + 0.01) / (1 - 0.01), index = ceil(ln(max(ms, 0.001)) / ln(gamma)).
-- The representative value of bucket i is 2 * gamma^i / (gamma + 1), within 1 % of every value in it.
create or replace function optimizer.latency_bucket(ms double precision)
returns integer
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select pg_catalog.ceil(
    pg_catalog.ln(greatest(ms, 0.001::double precision))
    / pg_catalog.ln((1 + 0.01::double precision) / (1 - 0.01::double precision))
  )::integer;
$$;

-- Sum of two histograms ({"<bucket index>": count}) key by key; null counts as empty.
create or replace function optimizer.histogram_merge(a jsonb, b jsonb)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_object_agg(h.key, h.n), '{}'::jsonb)
  from (
    select e.key, sum(e.value::bigint) as n
    from (
      select * from pg_catalog.jsonb_each_text(coalesce(a, '{}'::jsonb))
      union all
      select * from pg_catalog.jsonb_each_text(coalesce(b, '{}'::jsonb))
    ) e
    group by e.key
  ) h;
$$;

-- One row per minute and (system, target, kind); counts are additive so late events merge in.
create table if not exists optimizer.metric_rollups (
  minute timestamptz not null,
  system text not null,
  target text not null,
  kind text not null,
  count bigint not null default 0,
  errors bigint not null default 0,
  cold_starts bigint not null default 0,
  hits bigint not null default 0,
  misses bigint not null default 0,
  latency_count bigint not null default 0,
  latency_sum double precision not null default 0,
  latency_min double precision,
  latency_max double precision,
  histogram jsonb not null default '{}'::jsonb,
  primary key (minute, system, target, kind)
);
alter table optimizer.metric_rollups enable row level security;
-- Series for one system/target over a long range without walking every other target's minutes.
create index if not exists metric_rollups_series_idx on optimizer.metric_rollups (system, target, kind, minute);

-- Watermark of the rollup: every event with id <= last_event_id is in metric_rollups.
create table if not exists optimizer.rollup_state (
  id boolean primary key default true check (id),
  last_event_id bigint not null default 0,
  updated_at timestamptz not null default now()
);
alter table optimizer.rollup_state enable row level security;
insert into optimizer.rollup_state (id) values (true) on conflict (id) do nothing;

-- Folds events with ids in (watermark, max committed id] into metric_rollups, exactly once:
--  * concurrent runs are serialised by the rollup lock (held to commit), and each reads the watermark
--    the previous one committed;
--  * the new watermark is read while holding the ingest lock exclusively, so no ingest transaction is in
--    flight and, ids being handed out in call order (cache 1), every id up to it is committed or gone;
--    later ingests get larger ids. The exclusive lock is released right after, so ingest waits only for
--    that instant.
-- Late events get new ids like any other and are added to their (old) minute's row.
create or replace function optimizer.rollup_metrics(run_trigger text default 'cron')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  started timestamptz := pg_catalog.clock_timestamp();
  previous_id bigint;
  watermark bigint;
  events bigint := 0;
  rows_written bigint := 0;
  summary jsonb;
begin
  perform pg_catalog.pg_advisory_xact_lock(8061130002);
  select s.last_event_id into previous_id from optimizer.rollup_state s where s.id for update;

  perform pg_catalog.pg_advisory_lock(8061130001);
  begin
    select max(e.id) into watermark from optimizer.metric_events e;
  exception when others then
    -- a session-level lock outlives the transaction: never leave it behind on a pooled connection
    perform pg_catalog.pg_advisory_unlock(8061130001);
    raise;
  end;
  perform pg_catalog.pg_advisory_unlock(8061130001);
  watermark := greatest(coalesce(watermark, 0), previous_id);

  if watermark > previous_id then
    with ev as (
      select pg_catalog.date_bin('1 minute', e.occurred_at, timestamptz '2000-01-01 00:00:00+00') as minute,
             e.system, e.target, e.kind, e.latency_ms, e.error, e.cold_start, e.cache_hit,
             -- optimizer.latency_bucket(e.latency_ms), written out: a function with its own search_path
             -- is never inlined and the call would cost a third of the rollup (tests keep the two equal)
             -- (greatest ignores nulls: an event without latency must stay without bucket)
             case when e.latency_ms is not null then pg_catalog.ceil(
               pg_catalog.ln(greatest(e.latency_ms, 0.001::double precision))
               / pg_catalog.ln((1 + 0.01::double precision) / (1 - 0.01::double precision))
             )::integer end as bucket
      from optimizer.metric_events e
      where e.id > previous_id and e.id <= watermark
    ),
    totals as (
      select ev.minute, ev.system, ev.target, ev.kind,
             count(*) as count,
             count(*) filter (where ev.error) as errors,
             count(*) filter (where ev.cold_start) as cold_starts,
             count(*) filter (where ev.cache_hit) as hits,
             count(*) filter (where not ev.cache_hit) as misses,
             count(ev.latency_ms) as latency_count,
             coalesce(sum(ev.latency_ms), 0) as latency_sum,
             min(ev.latency_ms) as latency_min,
             max(ev.latency_ms) as latency_max
      from ev
      group by ev.minute, ev.system, ev.target, ev.kind
    ),
    hist as (
      select b.minute, b.system, b.target, b.kind, pg_catalog.jsonb_object_agg(b.bucket::text, b.n) as histogram
      from (
        select ev.minute, ev.system, ev.target, ev.kind, ev.bucket, count(*) as n
        from ev
        where ev.bucket is not null -- events without a latency have no bucket
        group by ev.minute, ev.system, ev.target, ev.kind, ev.bucket
      ) b
      group by b.minute, b.system, b.target, b.kind
    ),
    upserted as (
      insert into optimizer.metric_rollups as r
        (minute, system, target, kind, count, errors, cold_starts, hits, misses,
         latency_count, latency_sum, latency_min, latency_max, histogram)
      select t.minute, t.system, t.target, t.kind, t.count, t.errors, t.cold_starts, t.hits, t.misses,
             t.latency_count, t.latency_sum, t.latency_min, t.latency_max, coalesce(h.histogram, '{}'::jsonb)
      from totals t
      left join hist h using (minute, system, target, kind)
      on conflict (minute, system, target, kind) do update set
        count = r.count + excluded.count,
        errors = r.errors + excluded.errors,
        cold_starts = r.cold_starts + excluded.cold_starts,
        hits = r.hits + excluded.hits,
        misses = r.misses + excluded.misses,
        latency_count = r.latency_count + excluded.latency_count,
        latency_sum = r.latency_sum + excluded.latency_sum,
        latency_min = least(r.latency_min, excluded.latency_min),
        latency_max = greatest(r.latency_max, excluded.latency_max),
        histogram = optimizer.histogram_merge(r.histogram, excluded.histogram)
      returning 1
    )
    select (select count(*) from upserted), (select coalesce(sum(t.count), 0) from totals t)
    into rows_written, events;

    update optimizer.rollup_state set last_event_id = watermark, updated_at = now() where id;
  end if;

  summary := pg_catalog.jsonb_build_object('step', 'rollup', 'events', events, 'rows', rows_written,
                                            'watermark', watermark);
  insert into optimizer.runs (module, trigger, status, started_at, finished_at, summary)
  values ('monitoring', run_trigger, 'succeeded', started, pg_catalog.clock_timestamp(), summary);
  return summary;
end;
$$;

-- Time series merged from rollups only (cost follows rollup rows, never raw events): minutes in
-- [from_ts, to_ts) grouped into buckets aligned on from_ts; a null filter means "all".
create or replace function optimizer.metric_series(
  from_ts timestamptz,
  to_ts timestamptz,
  bucket interval,
  p_system text default null,
  p_target text default null,
  p_kind text default null
)
returns table (
  bucket_start timestamptz,
  count bigint,
  errors bigint,
  cold_starts bigint,
  hits bigint,
  misses bigint,
  latency_count bigint,
  latency_sum double precision,
  latency_min double precision,
  latency_max double precision,
  histogram jsonb
)
language sql
stable
set search_path = ''
as $$
  with r as (
    select pg_catalog.date_bin(bucket, m.minute, from_ts) as bucket_start, m.*
    from optimizer.metric_rollups m
    where m.minute >= from_ts and m.minute < to_ts
      and (p_system is null or m.system = p_system)
      and (p_target is null or m.target = p_target)
      and (p_kind is null or m.kind = p_kind)
  ),
  totals as (
    select r.bucket_start,
           sum(r.count)::bigint as count, sum(r.errors)::bigint as errors,
           sum(r.cold_starts)::bigint as cold_starts, sum(r.hits)::bigint as hits,
           sum(r.misses)::bigint as misses, sum(r.latency_count)::bigint as latency_count,
           sum(r.latency_sum) as latency_sum, min(r.latency_min) as latency_min,
           max(r.latency_max) as latency_max
    from r
    group by r.bucket_start
  ),
  hist as (
    select b.bucket_start, pg_catalog.jsonb_object_agg(b.key, b.n) as histogram
    from (
      select r.bucket_start, h.key, sum(h.value::bigint) as n
      from r, pg_catalog.jsonb_each_text(r.histogram) h
      group by r.bucket_start, h.key
    ) b
    group by b.bucket_start
  )
  select t.bucket_start, t.count, t.errors, t.cold_starts, t.hits, t.misses, t.latency_count,
         t.latency_sum, t.latency_min, t.latency_max, coalesce(h.histogram, '{}'::jsonb)
  from totals t
  left join hist h using (bucket_start)
  order by t.bucket_start;
$$;
