-- Circuit breaker state shared by every isolate of every function (shared/resilience/): an isolate is short-lived,
-- and one that boots during an outage must not learn it again, with its users' requests, from the failing
-- dependency. One row per breaker (a dependency, such as an upstream API); `state` is what cockatiel's
-- CircuitBreakerPolicy.toJSON() returns. Isolates read a row at most once per short interval and write it on
-- transitions only, with `version` as the compare-and-set guard, so the row stays cheap however busy the calls.

create table if not exists optimizer.breaker_states (
  name text primary key check (pg_catalog.char_length(name) between 1 and 200),
  state jsonb not null,
  -- grows by one with every write: a reader whose copy is older rebuilds its breaker from the row
  version bigint not null default 1 check (version >= 1),
  -- the earliest instant an isolate may claim the open circuit's single half-open probe: its half-open time,
  -- then the end of the claim an isolate holds (null while closed), so that all the isolates that see the
  -- circuit open send one probe between them, not one each, and none right after a failed one
  next_probe_at timestamptz,
  updated_at timestamptz not null default pg_catalog.now()
);
alter table optimizer.breaker_states enable row level security;

revoke all on optimizer.breaker_states from public, anon, authenticated;
grant all on optimizer.breaker_states to service_role;

-- Each breaker's circuit as the isolates last wrote it, with what the metric store's rollups hold of it since
-- `since`: openings (transitions to open are reported as errors), all transitions, and the calls it rejected
-- (shared/resilience/breaker_events.ts reports both kinds). A breaker known only from events is listed too.
create or replace function optimizer.breaker_activity(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  with rolled as (
    select r.target as name,
      sum(r.count) filter (where r.kind = 'breaker') as transitions,
      sum(r.errors) filter (where r.kind = 'breaker') as openings,
      sum(r.count) filter (where r.kind = 'breaker_rejected') as rejected
    from optimizer.metric_rollups r
    where r.system = 'edge' and r.kind in ('breaker', 'breaker_rejected') and r.minute >= since
    group by r.target
  ),
  names as (
    select name from rolled union select name from optimizer.breaker_states
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'name', n.name,
    -- cockatiel's CircuitState: 1 is open; isolates write only open and closed
    'state', case when s.name is null then null when s.state #>> '{ownState,value}' = '1' then 'open' else 'closed' end,
    'since', s.updated_at,
    'next_probe_at', s.next_probe_at,
    'openings', coalesce(r.openings, 0),
    'transitions', coalesce(r.transitions, 0),
    'rejected', coalesce(r.rejected, 0)
  ) order by n.name), '[]'::jsonb)
  from names n
  left join optimizer.breaker_states s on s.name = n.name
  left join rolled r on r.name = n.name;
end;

-- As in 20261129001000, and with the breakers of the last 24 hours.
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
    'buffer_loads', optimizer.buffer_activity(now - interval '7 days'),
    'caching', optimizer.cache_activity(now - interval '24 hours'),
    'breakers', optimizer.breaker_activity(now - interval '24 hours')
  );
end;

revoke all on function optimizer.breaker_activity(timestamptz), optimizer.status_overview(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.breaker_activity(timestamptz), optimizer.status_overview(timestamptz)
  to service_role;
