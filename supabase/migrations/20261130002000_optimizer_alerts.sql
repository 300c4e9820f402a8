-- Alerts: a degradation crossing one of the config's `alerts` thresholds is raised once, stays open while it
-- lasts (its figure updated each evaluation), and is cleared when it ends, so that a degradation that lasts an
-- hour is one alert, not sixty. optimizer.evaluate_alerts() runs every minute (pg_cron) over the last
-- minutes of the metric store's rollups; `status` lists the open alerts and those cleared in the last day.

create table if not exists optimizer.alerts (
  id bigint generated always as identity primary key,
  -- e.g. alert.error-rate, alert.breaker-open
  rule text not null,
  -- what it is about, e.g. edge:robots, cache:market-data.quote, breaker:upstream-quotes
  subject text not null,
  -- the figure that crossed the threshold, as last evaluated, and the threshold
  value double precision,
  threshold double precision,
  raised_at timestamptz not null,
  last_seen_at timestamptz not null,
  cleared_at timestamptz,
  check (cleared_at is null or cleared_at >= raised_at)
);
alter table optimizer.alerts enable row level security;
-- One open alert per rule and subject: what makes an alert raised once.
create unique index if not exists alerts_open_idx on optimizer.alerts (rule, subject) where cleared_at is null;
create index if not exists alerts_cleared_idx on optimizer.alerts (cleared_at) where cleared_at is not null;

revoke all on optimizer.alerts from public, anon, authenticated;
grant all on optimizer.alerts to service_role;

-- A threshold of the stored config's `alerts`, or `fallback` (config.ts's default) when it is not set.
create or replace function optimizer.alert_threshold(setting text, fallback double precision)
returns double precision
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select (c.value -> 'alerts' ->> setting)::double precision from optimizer.config c where c.id),
    fallback
  );
$$;

-- The degradations holding at `now`: per function (edge requests) its error rate and cold-start rate, per
-- cache namespace its hit rate, over the `window_minutes` whole minutes before now, each with
-- at least `min_events` events so that a quiet minute's one failure raises nothing; and every breaker whose
-- circuit is open.
create or replace function optimizer.alert_conditions(now timestamptz, window_minutes integer, min_events integer)
returns table (rule text, subject text, value double precision, threshold double precision)
language sql
stable
set search_path = ''
begin atomic
  with recent as (
    select r.system, r.target, r.kind,
      sum(r.count)::double precision as count, sum(r.errors)::double precision as errors,
      sum(r.cold_starts)::double precision as cold_starts,
      sum(r.hits)::double precision as hits, sum(r.misses)::double precision as misses
    from optimizer.metric_rollups r
    -- whole minutes only: the current minute is still being rolled up
    where r.minute >= pg_catalog.date_trunc('minute', now) - pg_catalog.make_interval(mins => window_minutes)
      and r.minute < pg_catalog.date_trunc('minute', now)
      and ((r.system = 'edge' and r.kind = 'request') or (r.system = 'cache' and r.kind = 'lookup'))
    group by r.system, r.target, r.kind
  ),
  figures as (
    select 'alert.error-rate' as rule, 'edge:' || target as subject, errors / count as value,
      optimizer.alert_threshold('errorRate', 0.05) as threshold, count as events, false as below
    from recent where system = 'edge'
    union all
    select 'alert.cold-start-rate', 'edge:' || target, cold_starts / count,
      optimizer.alert_threshold('coldStartRate', 0.2), count, false
    from recent where system = 'edge'
    union all
    select 'alert.cache-hit-rate', 'cache:' || target, hits / (hits + misses),
      optimizer.alert_threshold('minCacheHitRate', 0.8), hits + misses, true
    from recent where system = 'cache' and hits + misses > 0
  )
  select f.rule, f.subject, f.value, f.threshold
  from figures f
  where f.events >= min_events and (case when f.below then f.value < f.threshold else f.value > f.threshold end)
  union all
  select 'alert.breaker-open', 'breaker:' || b.name, null, null
  from optimizer.breaker_states b
  -- cockatiel's CircuitState: 1 is open; isolates write only open and closed
  where b.state #>> '{ownState,value}' = '1';
end;

-- Raises the degradations holding now that have no open alert, updates those that do, clears the open alerts
-- whose degradation no longer holds, and deletes the alerts cleared longer ago than the suite keeps its run
-- records (retention.runDays). Returns how many it raised, kept open, cleared and deleted.
create or replace function optimizer.evaluate_alerts(
  now timestamptz default optimizer.now(),
  window_minutes integer default 5,
  min_events integer default 20
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  -- read once, so that the three statements below judge the same conditions
  holding jsonb := (
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c)), '[]'::jsonb)
    from optimizer.alert_conditions(now, window_minutes, min_events) c
  );
  raised bigint;
  kept bigint;
  cleared bigint;
  deleted bigint;
begin
  update optimizer.alerts a set value = h.value, threshold = h.threshold, last_seen_at = now
  from pg_catalog.jsonb_to_recordset(holding) as h(rule text, subject text, value double precision, threshold double precision)
  where a.cleared_at is null and a.rule = h.rule and a.subject = h.subject;
  get diagnostics kept = row_count;

  insert into optimizer.alerts (rule, subject, value, threshold, raised_at, last_seen_at)
  select h.rule, h.subject, h.value, h.threshold, now, now
  from pg_catalog.jsonb_to_recordset(holding) as h(rule text, subject text, value double precision, threshold double precision)
  on conflict (rule, subject) where cleared_at is null do nothing;
  get diagnostics raised = row_count;

  update optimizer.alerts a set cleared_at = greatest(now, a.raised_at)
  where a.cleared_at is null
    and not exists (
      select 1 from pg_catalog.jsonb_to_recordset(holding) as h(rule text, subject text)
      where h.rule = a.rule and h.subject = a.subject
    );
  get diagnostics cleared = row_count;

  delete from optimizer.alerts a
  where a.cleared_at < now - pg_catalog.make_interval(days => optimizer.retention_days('runDays', 30));
  get diagnostics deleted = row_count;

  return pg_catalog.jsonb_build_object('raised', raised, 'open', kept, 'cleared', cleared, 'deleted', deleted);
end;
$$;

-- The alerts open now and those cleared since `since`, newest first.
create or replace function optimizer.alert_activity(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'rule', a.rule,
    'subject', a.subject,
    'value', a.value,
    'threshold', a.threshold,
    'raised_at', a.raised_at,
    'last_seen_at', a.last_seen_at,
    'cleared_at', a.cleared_at
  ) order by a.raised_at desc, a.id desc), '[]'::jsonb)
  from optimizer.alerts a
  where a.cleared_at is null or a.cleared_at >= since;
end;

-- As in 20261130000000, and with the alerts open or cleared in the last 24 hours.
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
    'alerts', optimizer.alert_activity(now - interval '24 hours')
  );
end;

revoke all on function optimizer.alert_threshold(text, double precision),
  optimizer.alert_conditions(timestamptz, integer, integer),
  optimizer.evaluate_alerts(timestamptz, integer, integer),
  optimizer.alert_activity(timestamptz),
  optimizer.status_overview(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.alert_threshold(text, double precision),
  optimizer.alert_conditions(timestamptz, integer, integer),
  optimizer.evaluate_alerts(timestamptz, integer, integer),
  optimizer.alert_activity(timestamptz),
  optimizer.status_overview(timestamptz)
  to service_role;

-- Every minute, after the minute's rollup has had its turn; scheduling an existing name replaces that job.
select cron.schedule('optimizer-alerts', '* * * * *', 'select optimizer.evaluate_alerts()');
