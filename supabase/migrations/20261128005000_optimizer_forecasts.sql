-- Forecasts of the predictive module (shared/forecast/), kept until what they forecast has happened and then
-- scored: a forecast's points wait in forecast_points until their last minute has settled, then
-- score_forecasts() folds them into the forecast's error sums and deletes them, so only the forecasts of the
-- last horizon hold points. Forecasts belong to the run that made them and go with it (retention.runDays).

create table if not exists optimizer.forecasts (
  id bigint generated always as identity primary key,
  run_id bigint not null references optimizer.runs (id) on delete cascade,
  made_at timestamptz not null,
  -- the rollup series forecast: optimizer.metric_rollups rows of (system, target, kind)
  system text not null check (system in ('db', 'cache', 'edge', 'app')),
  target text not null,
  kind text not null,
  model text not null,
  params jsonb not null default '{}'::jsonb,
  -- the forecaster each point's `reference` comes from, and the backtest that chose the model
  reference text not null check (reference in ('seasonal-naive-daily', 'last-value')),
  backtest jsonb,
  history_minutes integer not null check (history_minutes >= 0),
  -- filled by score_forecasts() once every point has settled
  scored_at timestamptz,
  minutes integer,
  abs_error double precision,
  reference_abs_error double precision,
  -- points with an interval, and those whose outcome fell inside it
  bounded integer,
  covered integer
);
alter table optimizer.forecasts enable row level security;
create index if not exists forecasts_target_made_at_idx on optimizer.forecasts (system, target, kind, made_at desc);
-- score_forecasts() looks only at forecasts not scored yet
create index if not exists forecasts_unscored_idx on optimizer.forecasts (made_at) where scored_at is null;
create index if not exists forecasts_run_id_idx on optimizer.forecasts (run_id);

create table if not exists optimizer.forecast_points (
  forecast_id bigint not null references optimizer.forecasts (id) on delete cascade,
  minute timestamptz not null,
  value double precision not null check (value >= 0),
  low double precision check (low >= 0),
  high double precision check (high >= low),
  -- what the reference forecaster said for this minute when the forecast was made
  reference double precision not null check (reference >= 0),
  primary key (forecast_id, minute),
  check ((low is null) = (high is null))
);
alter table optimizer.forecast_points enable row level security;

-- Folds the points of every forecast whose last minute is before `settled_before` into its error sums, and
-- deletes those points. A minute without rollup rows had no events: its outcome is 0. Returns the number of
-- forecasts scored. Minutes are settled once late events can no longer change them: the caller passes a time
-- a few minutes back.
create or replace function optimizer.score_forecasts(settled_before timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  scored integer;
begin
  with due as (
    select f.id, f.system, f.target, f.kind
    from optimizer.forecasts f
    where f.scored_at is null
      and not exists (
        select 1 from optimizer.forecast_points p where p.forecast_id = f.id and p.minute >= settled_before
      )
    for update of f skip locked
  ),
  sums as (
    select d.id,
      count(p.minute)::integer as minutes,
      coalesce(sum(abs(coalesce(r.count, 0) - p.value)), 0) as abs_error,
      coalesce(sum(abs(coalesce(r.count, 0) - p.reference)), 0) as reference_abs_error,
      count(p.low)::integer as bounded,
      count(*) filter (where coalesce(r.count, 0) between p.low and p.high)::integer as covered
    from due d
    left join optimizer.forecast_points p on p.forecast_id = d.id
    -- a minute has a rollup row per source (server, each reporting user): their sum is its outcome
    left join lateral (
      select sum(m.count) as count
      from optimizer.metric_rollups m
      where m.minute = p.minute and m.system = d.system and m.target = d.target and m.kind = d.kind
    ) r on true
    group by d.id
  ),
  updated as (
    update optimizer.forecasts f
    set scored_at = pg_catalog.now(), minutes = s.minutes, abs_error = s.abs_error,
      reference_abs_error = s.reference_abs_error, bounded = s.bounded, covered = s.covered
    from sums s
    where f.id = s.id
    returning f.id
  ),
  -- a data-modifying CTE runs whether or not it is read; it sees the points as `sums` did
  dropped as (
    delete from optimizer.forecast_points p using updated u where p.forecast_id = u.id
  )
  select count(*) into scored from updated;
  return scored;
end;
$$;

-- Accuracy per forecast target over the forecasts made since `since` and scored: MAE of the forecasts and of
-- their reference over the same minutes, MASE (their ratio: below 1 beats the reference), and the share of
-- outcomes inside the intervals. As jsonb for status_overview().
create or replace function optimizer.forecast_accuracy(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'system', a.system, 'target', a.target, 'kind', a.kind, 'forecasts', a.forecasts, 'minutes', a.minutes,
    'mae', a.abs_error / a.minutes,
    'reference_mae', a.reference_abs_error / a.minutes,
    'mase', a.abs_error / nullif(a.reference_abs_error, 0),
    'coverage', a.covered::double precision / nullif(a.bounded, 0),
    'model', a.model, 'reference', a.reference
  ) order by a.system, a.target, a.kind), '[]'::jsonb)
  from (
    select f.system, f.target, f.kind, count(*) as forecasts, sum(f.minutes) as minutes,
      sum(f.abs_error) as abs_error, sum(f.reference_abs_error) as reference_abs_error,
      sum(f.bounded) as bounded, sum(f.covered) as covered,
      -- the latest forecast's model and reference
      (pg_catalog.array_agg(f.model order by f.made_at desc))[1] as model,
      (pg_catalog.array_agg(f.reference order by f.made_at desc))[1] as reference
    from optimizer.forecasts f
    where f.made_at >= since and f.scored_at is not null and f.minutes > 0
    group by f.system, f.target, f.kind
  ) a;
end;

-- The status overview gains each forecast target's accuracy over the last 7 days.
create or replace function optimizer.status_overview(now timestamptz default now())
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select optimizer.pipeline_overview(now) || pg_catalog.jsonb_build_object(
    'modules', optimizer.module_last_runs(),
    'forecasts', optimizer.forecast_accuracy(now - interval '7 days')
  );
end;

revoke all on optimizer.forecasts, optimizer.forecast_points from public, anon, authenticated;
grant all on optimizer.forecasts, optimizer.forecast_points to service_role;
revoke all on function optimizer.score_forecasts(timestamptz), optimizer.forecast_accuracy(timestamptz),
  optimizer.status_overview(timestamptz) from public, anon, authenticated;
grant execute on function optimizer.score_forecasts(timestamptz), optimizer.forecast_accuracy(timestamptz),
  optimizer.status_overview(timestamptz) to service_role;
