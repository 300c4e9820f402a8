-- The warmer's clock (docs/warming.md, "The clock"). Wall-clock time on every real project: rate 1, the default.
-- A load test that replays hours of traffic in minutes (the benchmark's 60x replay) speeds it up, so that the
-- warmer plans, times its pings and reads its metrics on the replay's time, as it does on wall-clock time in
-- production. Reporters keep stamping wall-clock time: ingest puts each event on the clock (clock_at), and the
-- warmer scales the durations it measures by the rate. The clock never jumps: a new rate starts from the instant
-- the clock shows, so nothing it stamped lies in its future.

create table if not exists optimizer.clock (
  id boolean primary key default true check (id),
  -- clock milliseconds per wall-clock millisecond
  rate double precision not null default 1 check (rate >= 1 and rate <= 3600),
  -- at wall-clock instant origin_real the clock showed origin_at
  origin_real timestamptz not null default '2000-01-01 00:00:00+00',
  origin_at timestamptz not null default '2000-01-01 00:00:00+00'
);
alter table optimizer.clock enable row level security;
insert into optimizer.clock (id) values (true) on conflict (id) do nothing;

-- The clock's instant at wall-clock instant `real_at` (at or after the latest rate change). In epoch seconds, not
-- intervals: adding an interval's days follows the session's time zone across daylight saving.
create or replace function optimizer.clock_at(real_at timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
begin atomic
  select coalesce(
    (select case when c.rate = 1 and c.origin_real = c.origin_at then real_at
                 else pg_catalog.to_timestamp(extract(epoch from c.origin_at)::double precision
                      + extract(epoch from real_at - c.origin_real)::double precision * c.rate) end
     from optimizer.clock c where c.id),
    real_at
  );
end;

-- The wall-clock instant at which the clock shows `clock_instant` (since the latest rate change).
create or replace function optimizer.real_at(clock_instant timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
begin atomic
  select coalesce(
    (select case when c.rate = 1 and c.origin_real = c.origin_at then clock_instant
                 else pg_catalog.to_timestamp(extract(epoch from c.origin_real)::double precision
                      + extract(epoch from clock_instant - c.origin_at)::double precision / c.rate) end
     from optimizer.clock c where c.id),
    clock_instant
  );
end;

-- The clock's time as this transaction started: what the warmer's jobs pass where they would pass now().
create or replace function optimizer.now()
returns timestamptz
language sql
stable
set search_path = ''
begin atomic
  select optimizer.clock_at(pg_catalog.now());
end;

-- The clock as the warmer reads it: its rate and one point of it.
create or replace function optimizer.read_clock()
returns table (rate double precision, origin_real timestamptz, origin_at timestamptz)
language sql
stable
set search_path = ''
begin atomic
  select c.rate, c.origin_real, c.origin_at from optimizer.clock c where c.id;
end;

-- Runs the clock at `rate` from now on, going on from the instant it shows. Returns that instant.
create or replace function optimizer.set_clock_rate(rate double precision)
returns timestamptz
language plpgsql
set search_path = ''
as $$
declare
  real_now timestamptz := pg_catalog.clock_timestamp();
  shown timestamptz;
begin
  if rate is null or not (rate >= 1 and rate <= 3600) then
    raise exception 'rate must be between 1 and 3600: got %', rate
      using hint = 'rate 1 is wall-clock time; 60 plays an hour in a minute';
  end if;
  perform 1 from optimizer.clock c where c.id for update;
  shown := optimizer.clock_at(real_now);
  update optimizer.clock c
    set rate = set_clock_rate.rate, origin_real = real_now, origin_at = shown
  where c.id;
  return shown;
end;
$$;

-- Puts the clock back to wall-clock time, the one jump it makes, and deletes what it stamped in wall-clock time's
-- future: a replay's events, their rollups, and the warmer's runs and pings, which would otherwise lie ahead of
-- every reader (the warmer's next run would wait for its last one's start to pass). Returns the rows deleted.
create or replace function optimizer.reset_clock()
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  wall timestamptz := pg_catalog.clock_timestamp();
  events bigint;
  minutes bigint;
  five_minutes bigint;
  hours bigint;
  runs bigint;
  pings bigint;
begin
  perform 1 from optimizer.clock c where c.id for update;
  update optimizer.clock c set rate = 1, origin_real = wall, origin_at = wall where c.id;
  delete from optimizer.metric_events e where e.occurred_at > wall;
  get diagnostics events = row_count;
  delete from optimizer.metric_rollups r where r.minute > wall;
  get diagnostics minutes = row_count;
  delete from optimizer.metric_rollups_5min r where r.minute > wall;
  get diagnostics five_minutes = row_count;
  delete from optimizer.metric_rollups_hourly r where r.hour > wall;
  get diagnostics hours = row_count;
  delete from optimizer.warm_pings p where p.planned_at > wall;
  get diagnostics pings = row_count;
  delete from optimizer.runs r where r.module = 'warmer' and r.started_at > wall;
  get diagnostics runs = row_count;
  return pg_catalog.jsonb_build_object('metric_events', events, 'metric_rollups', minutes,
    'metric_rollups_5min', five_minutes, 'metric_rollups_hourly', hours, 'warm_pings', pings, 'warmer_runs', runs);
end;
$$;

-- Ingest as before (20261128000500), each event put on the clock.
create or replace function optimizer.ingest_metric_events(events jsonb, reporter text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  inserted integer;
  moved boolean;
begin
  perform pg_catalog.pg_advisory_xact_lock_shared(8061130001);
  -- on wall-clock time (every real project) events are stored as stamped, without a clock_at() call per event
  select c.rate <> 1 or c.origin_real <> c.origin_at into moved from optimizer.clock c where c.id;
  insert into optimizer.metric_events
    (occurred_at, system, target, kind, latency_ms, error, cold_start, cache_hit, attrs, reporter, weight)
  select case when moved then optimizer.clock_at(e.occurred_at) else e.occurred_at end, e.system, e.target, e.kind, e.latency_ms,
         coalesce(e.error, false), coalesce(e.cold_start, false),
         case e.cache when 'hit' then true when 'miss' then false end,
         coalesce(e.attrs, '{}'::jsonb), ingest_metric_events.reporter, coalesce(e.weight, 1)
  from pg_catalog.jsonb_to_recordset(events) as e(
    occurred_at timestamptz, system text, target text, kind text, latency_ms double precision,
    error boolean, cold_start boolean, cache text, attrs jsonb, weight integer
  );
  get diagnostics inserted = row_count;
  return inserted;
end;
$$;

-- The handoff as before (20261129003000), on the clock: the wait for the retirement is the clock's, in wall-clock
-- seconds.
create or replace function optimizer.request_warmer_handoff(now timestamptz default optimizer.now())
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  -- after the retirement, so the request finds the worker gone and boots a new one; the reported boot comes a
  -- little after the platform starts the lifetime's clock, so the retirement is never later than reckoned
  margin constant interval := interval '1 second';
  retires timestamptz;
begin
  if not coalesce((select (c -> 'modules' ->> 'warmer')::boolean from optimizer.stored_config() c), false) then
    return null;
  end if;
  select (r.summary -> 'window' ->> 'senderRetiresAt')::timestamptz into retires
  from optimizer.runs r
  where r.module = 'warmer' and r.status = 'succeeded'
  order by r.started_at desc
  limit 1;
  -- unknown, past, or after the next scheduled run, which a new worker answers anyway
  if retires is null or retires + margin <= now or retires + margin > now + interval '1 minute' then
    return null;
  end if;
  perform pg_catalog.pg_sleep(
    greatest(0, extract(epoch from optimizer.real_at(retires + margin) - pg_catalog.clock_timestamp()))
  );
  return optimizer.post_to_function('warmer/run', 'handoff', 90000);
end;
$$;

-- request_due_run() as before (20261129003000), with the slack given: a run is due when none started within
-- `every_minutes` less `slack`, the moment between pg_cron asking for a run and the run recording its start
-- (pg_net's queue, the function's boot).
create or replace function optimizer.request_due_run(
  module text,
  route text,
  enabled boolean,
  every_minutes integer,
  max_run_seconds integer,
  now timestamptz,
  slack interval
)
returns bigint
language plpgsql
set search_path = ''
as $$
begin
  if not enabled then
    return null;
  end if;
  if exists (
    select 1 from optimizer.runs r
    where r.module = request_due_run.module
      and r.trigger <> 'handoff'
      and r.started_at > now - pg_catalog.make_interval(mins => every_minutes) + slack
  ) then
    return null;
  end if;
  -- the function answers when the run ends, within limits.maxRunDurationSeconds; 30 s for the rest
  return optimizer.post_to_function(route, 'cron', (max_run_seconds + 30) * 1000);
end;
$$;

-- The other modules' runs keep 5 s of slack.
create or replace function optimizer.request_due_run(
  module text,
  route text,
  enabled boolean,
  every_minutes integer,
  max_run_seconds integer,
  now timestamptz
)
returns bigint
language sql
set search_path = ''
as $$
  select optimizer.request_due_run(module, route, enabled, every_minutes, max_run_seconds, now, interval '5 seconds');
$$;

-- The warmer's run on the clock. Its 5 s of slack are wall-clock seconds, as many times longer on a sped-up
-- clock (at 60x a run records its start up to 5 clock minutes after it was asked for), and at most half the
-- interval, so that a run is never asked for twice in one.
create or replace function optimizer.request_warmer_run(now timestamptz default optimizer.now())
returns bigint
language sql
set search_path = ''
as $$
  select optimizer.request_due_run(
    'warmer',
    'warmer/run',
    coalesce((c -> 'modules' ->> 'warmer')::boolean, false),
    minutes,
    coalesce((c -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60),
    now,
    least(interval '5 seconds' * coalesce((select k.rate from optimizer.clock k where k.id), 1),
          pg_catalog.make_interval(mins => minutes) / 2)
  )
  from optimizer.stored_config() c
  cross join lateral (select coalesce((c -> 'intervals' ->> 'warmerMinutes')::integer, 1) as minutes) i;
$$;

revoke all on function
  optimizer.request_due_run(text, text, boolean, integer, integer, timestamptz, interval),
  optimizer.clock_at(timestamptz), optimizer.real_at(timestamptz), optimizer.now(),
  optimizer.read_clock(), optimizer.set_clock_rate(double precision), optimizer.reset_clock()
  from public, anon, authenticated;
grant execute on function
  optimizer.request_due_run(text, text, boolean, integer, integer, timestamptz, interval),
  optimizer.clock_at(timestamptz), optimizer.real_at(timestamptz), optimizer.now(),
  optimizer.read_clock(), optimizer.set_clock_rate(double precision), optimizer.reset_clock()
  to service_role;
