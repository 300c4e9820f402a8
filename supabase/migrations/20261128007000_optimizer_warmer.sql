-- The warmer: the functions it may ping, every ping it planned with its reason and what the ping found, and the
-- pg_cron job that asks for a warmer run every minute (docs/warming.md). Only the service role reads or writes
-- these tables: row level security is on and grants no one else anything.

-- Functions the warmer may ping, by their path under /functions/v1/. The suite's own functions are registered
-- here; an app registers its own with a row of source 'app'.
create table if not exists optimizer.warm_targets (
  function_name text primary key
    -- a Supabase function slug: the path segment the gateway routes by
    check (function_name ~ '^[A-Za-z][A-Za-z0-9_-]{0,62}$'),
  source text not null default 'app' check (source in ('suite', 'app')),
  enabled boolean not null default true,
  registered_at timestamptz not null default now()
);
alter table optimizer.warm_targets enable row level security;

insert into optimizer.warm_targets (function_name, source)
values ('metrics', 'suite'), ('status', 'suite'), ('recommendations', 'suite'), ('predictive', 'suite')
on conflict (function_name) do nothing;

-- Every planned ping, then what sending it found: whether the worker was cold, its age, the latency, or the
-- error. A ping never sent (the run's isolate ended first) keeps sent_at null.
create table if not exists optimizer.warm_pings (
  id bigint generated always as identity primary key,
  run_id bigint not null references optimizer.runs (id) on delete cascade,
  function_name text not null,
  -- 'probe': sent only to learn the age of a worker traffic keeps warm (shared/warm/plan_warmups.ts)
  kind text not null check (kind in ('successor', 'refresh', 'pre-warm', 'probe')),
  planned_at timestamptz not null,
  expected_cold_starts_avoided double precision not null
    check (expected_cold_starts_avoided >= 0 and expected_cold_starts_avoided <= 1),
  -- null while the function's cold start is not measured
  expected_saved_ms double precision,
  reason text not null,
  sent_at timestamptz,
  status integer,
  cold_start boolean,
  worker_age_ms bigint,
  latency_ms double precision,
  error text
);
alter table optimizer.warm_pings enable row level security;
-- The last pings of one function (its worker's boot, its back-off, its cold-start cost).
create index if not exists warm_pings_function_planned_idx on optimizer.warm_pings (function_name, planned_at desc);
-- The hour's budget and retention read by time alone.
create index if not exists warm_pings_planned_idx on optimizer.warm_pings (planned_at);

-- The warmer run, through request_due_run (defaults: off, every minute, runs of at most 60 s).
create or replace function optimizer.request_warmer_run(now timestamptz default now())
returns bigint
language sql
set search_path = ''
as $$
  select optimizer.request_due_run(
    'warmer',
    'warmer/run',
    coalesce((c -> 'modules' ->> 'warmer')::boolean, false),
    coalesce((c -> 'intervals' ->> 'warmerMinutes')::integer, 1),
    coalesce((c -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60),
    now
  )
  from optimizer.stored_config() c;
$$;

-- A run is due when none started within `every_minutes`, less a few seconds: pg_cron fires on the minute but a
-- run records its start a little later, and without the slack a job due every minute would run every other.
create or replace function optimizer.request_due_run(
  module text,
  route text,
  enabled boolean,
  every_minutes integer,
  max_run_seconds integer,
  now timestamptz
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  project_url text;
  secret_key text;
begin
  if not enabled then
    return null;
  end if;
  if exists (
    select 1 from optimizer.runs r
    where r.module = request_due_run.module
      and r.started_at > now - pg_catalog.make_interval(mins => every_minutes) + interval '5 seconds'
  ) then
    return null;
  end if;
  select s.decrypted_secret into project_url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into secret_key from vault.decrypted_secrets s where s.name = 'optimizer_secret_key';
  if project_url is null or secret_key is null then
    raise exception 'Vault secrets project_url and optimizer_secret_key are needed to call /functions/v1/%', route
      using hint = 'select vault.create_secret(''https://<ref>.supabase.co'', ''project_url''); '
                   'select vault.create_secret(''sb_secret_…'', ''optimizer_secret_key'');';
  end if;
  return net.http_post(
    url := pg_catalog.rtrim(project_url, '/') || '/functions/v1/' || route,
    params := pg_catalog.jsonb_build_object('trigger', 'cron'),
    headers := pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'apikey', secret_key),
    -- the function answers when the run ends, within limits.maxRunDurationSeconds; 30 s for the rest
    timeout_milliseconds := (max_run_seconds + 30) * 1000
  );
end;
$$;

select cron.schedule('optimizer-warmer', '* * * * *', 'select optimizer.request_warmer_run()');

-- Each warm target's pings since `since` (planned, sent, which found a cold worker and booted it, which failed,
-- the cold starts they were expected to avoid) beside what its users met over the same time, from the rollups:
-- requests and cold starts. As jsonb for status_overview().
create or replace function optimizer.warm_activity(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'function_name', t.function_name, 'source', t.source, 'enabled', t.enabled,
    'planned', p.planned, 'sent', p.sent, 'found_cold', p.found_cold, 'failed', p.failed,
    'expected_cold_starts_avoided', p.expected, 'last_sent_at', p.last_sent_at,
    'requests', r.requests, 'cold_starts', r.cold_starts
  ) order by t.function_name), '[]'::jsonb)
  from optimizer.warm_targets t
  cross join lateral (
    select count(*) as planned, count(w.sent_at) as sent,
      count(*) filter (where w.cold_start) as found_cold, count(*) filter (where w.error is not null) as failed,
      coalesce(sum(w.expected_cold_starts_avoided), 0) as expected, max(w.sent_at) as last_sent_at
    from optimizer.warm_pings w
    where w.function_name = t.function_name and w.planned_at >= since
  ) p
  cross join lateral (
    select coalesce(sum(m.count), 0) as requests, coalesce(sum(m.cold_starts), 0) as cold_starts
    from optimizer.metric_rollups m
    where m.system = 'edge' and m.target = t.function_name and m.kind = 'request' and m.minute >= since
  ) r;
end;

-- The status overview gains the warmer's last 24 hours.
create or replace function optimizer.status_overview(now timestamptz default now())
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select optimizer.pipeline_overview(now) || pg_catalog.jsonb_build_object(
    'modules', optimizer.module_last_runs(),
    'forecasts', optimizer.forecast_accuracy(now - interval '7 days'),
    'warming', optimizer.warm_activity(now - interval '24 hours')
  );
end;

revoke all on optimizer.warm_targets, optimizer.warm_pings from public, anon, authenticated;
grant all on optimizer.warm_targets, optimizer.warm_pings to service_role;
revoke all on function optimizer.request_warmer_run(timestamptz), optimizer.warm_activity(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.request_warmer_run(timestamptz), optimizer.warm_activity(timestamptz),
  optimizer.status_overview(timestamptz) to service_role;
