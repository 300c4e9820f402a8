-- optimizer.score_forecasts() as before (20261129000000), with its work bounded. Each point's outcome was a
-- correlated lookup into the statements' calls of every due forecast, so a call's time grew with the square of
-- the forecasts due: a local database with 1,341 forecasts due took 9 min 42 s to score them in one call, so
-- every predictive run hit statement_timeout, they stayed due, and the backlog only grew. Now the
-- outcomes are summed once per (target, minute) and joined, and a call scores at most `max_forecasts` of the
-- oldest due forecasts, so a backlog drains over the next runs: the same database scored 500 in 0.17 s
-- (`select optimizer.score_forecasts(now())` in a rolled-back transaction, before and after, 2026-11-29).
create or replace function optimizer.score_forecasts(settled_before timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  -- at most this many forecasts a call: a run's forecasts are a few hundred at most
  max_forecasts constant integer := 500;
  scored integer;
  statements_until timestamptz := optimizer.statement_minutes_known_until();
begin
  with due as (
    select f.id, f.system, f.target, f.kind, f.system = 'db' and f.kind = 'calls' as statement
    from optimizer.forecasts f
    where f.scored_at is null
      and not exists (
        select 1 from optimizer.forecast_points p
        where p.forecast_id = f.id
          and (p.minute >= settled_before
               -- a statement's minute is known once a snapshot is taken after it
               or (f.system = 'db' and f.kind = 'calls' and (statements_until is null or p.minute >= statements_until)))
      )
    order by f.id
    limit max_forecasts
    for update of f skip locked
  ),
  points as (
    select d.id, d.system, d.target, d.kind, d.statement, p.minute, p.value, p.reference, p.low, p.high
    from due d
    left join optimizer.forecast_points p on p.forecast_id = d.id
  ),
  statement_calls as (
    select c.queryid::text as target, c.minute, sum(c.calls) as count
    from (
      select min(p.minute) as first_minute, max(p.minute) as last_minute,
             -- targets of db calls forecasts are queryids (a bigint's text), written by the refresh
             pg_catalog.array_agg(distinct p.target::bigint) as queryids
      from points p
      where p.statement
    ) b
    cross join lateral optimizer.statement_call_minutes(b.first_minute, b.last_minute + interval '1 minute', b.queryids) c
    where b.queryids is not null
    group by c.queryid, c.minute
  ),
  -- a minute has a rollup row per source (server, each reporting user): their sum is its outcome
  rollup_counts as (
    select m.system, m.target, m.kind, m.minute, sum(m.count) as count
    from optimizer.metric_rollups m
    where (m.system, m.target, m.kind, m.minute) in (
      select p.system, p.target, p.kind, p.minute from points p where not p.statement
    )
    group by m.system, m.target, m.kind, m.minute
  ),
  sums as (
    select p.id,
      count(p.minute)::integer as minutes,
      coalesce(sum(abs(o.count - p.value)), 0) as abs_error,
      coalesce(sum(abs(o.count - p.reference)), 0) as reference_abs_error,
      count(p.low)::integer as bounded,
      count(*) filter (where o.count between p.low and p.high)::integer as covered
    from points p
    left join statement_calls s on p.statement and s.target = p.target and s.minute = p.minute
    left join rollup_counts r
      on not p.statement and r.system = p.system and r.target = p.target and r.kind = p.kind and r.minute = p.minute
    cross join lateral (select coalesce(case when p.statement then s.count else r.count end, 0) as count) o
    group by p.id
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
