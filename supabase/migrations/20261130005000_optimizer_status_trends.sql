-- The hourly series behind the status report's trends (shared/status/rate_trend.ts): per function its
-- requests and the cold starts among them, per cache namespace its lookups that reached a verdict and the hits
-- among them, each hour from `since` to `now` that has any.
create or replace function optimizer.rate_series(since timestamptz, now timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  with hourly as (
    select r.system, r.target,
      -- whole UTC hours whatever the session's time zone
      pg_catalog.date_bin(interval '1 hour', r.minute, timestamptz '2000-01-01 00:00:00+00') as at,
      sum(case when r.system = 'edge' then r.count else r.hits + r.misses end) as events,
      sum(case when r.system = 'edge' then r.cold_starts else r.hits end) as part
    from optimizer.metric_rollups r
    where ((r.system = 'edge' and r.kind = 'request') or (r.system = 'cache' and r.kind = 'lookup'))
      and r.minute >= since and r.minute < now
    group by r.system, r.target, 3
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'system', h.system, 'target', h.target, 'at', h.at, 'events', h.events, 'part', h.part
  ) order by h.system, h.target, h.at), '[]'::jsonb)
  from hourly h
  -- an hour of cache lookups without a verdict (neither hit nor miss recorded) has no rate
  where h.events > 0;
end;

-- As in 20261130004000, and with the hourly rates of the last 24 hours.
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
    'breakers', optimizer.breaker_activity(now - interval '24 hours'),
    'alerts', optimizer.alert_activity(now - interval '24 hours'),
    'actions', optimizer.action_activity(now - interval '30 days'),
    'rates', optimizer.rate_series(now - interval '24 hours', now)
  );
end;

revoke all on function optimizer.rate_series(timestamptz, timestamptz), optimizer.status_overview(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.rate_series(timestamptz, timestamptz), optimizer.status_overview(timestamptz)
  to service_role;
