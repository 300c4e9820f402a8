-- Statement call forecasts: each statement's calls per minute, read from the 5-minute statement snapshots,
-- so that the predictive module forecasts statements as it does functions and cache namespaces (system `db`,
-- kind `calls`, target the queryid), and scores those forecasts once the snapshots have seen their minutes.

-- Calls per minute of the given statements over the minutes in [from_ts, to_ts): what a statement's counters
-- grew by between two consecutive snapshots, spread evenly over the whole minutes between them (snapshots
-- are minutes apart: finer timing is not known). Only intervals that a snapshot has closed: later minutes
-- are unknown, not quiet. Summed over the roles and databases that ran the statement (top level only: a
-- statement run inside a function counts within the call that ran it).
create or replace function optimizer.statement_call_minutes(from_ts timestamptz, to_ts timestamptz, queryids bigint[])
returns table (queryid bigint, minute timestamptz, calls double precision)
language sql
stable
set search_path = ''
as $$
  with intervals as (
    select i.id, i.taken_at, i.prev_id, i.epoch_start,
           -- counters reset within the interval counted only from the reset
           case when i.epoch_start = i.id and i.statements_reset > i.prev_at then i.statements_reset
                else i.prev_at end as prev_at
    from (
      select s.id, s.taken_at, s.statements_reset,
             pg_catalog.lag(s.id) over w as prev_id, pg_catalog.lag(s.taken_at) over w as prev_at,
             -- statements_epoch_start() for every snapshot at once: the first of those with its reset time
             pg_catalog.first_value(s.id) over (partition by s.statements_reset order by s.id) as epoch_start
      from optimizer.db_snapshots s
      window w as (order by s.taken_at, s.id)
    ) i
    -- the intervals that overlap the window; a longer gap (the snapshot job stopped) cannot place its calls
    -- in time, so its minutes stay without calls
    where i.prev_id is not null and i.taken_at > from_ts and i.prev_at < to_ts
      and i.taken_at - i.prev_at <= interval '1 hour'
  ),
  grown as (
    -- a statement's row exists at a snapshot only when its counters changed since the one before
    select r.queryid, i.prev_at, i.taken_at,
           -- counters that went back (an eviction, or the epoch began within the interval) count from zero
           case when r.calls >= coalesce(b.calls, 0) then r.calls - coalesce(b.calls, 0) else r.calls end as calls
    from intervals i
    join optimizer.db_snapshot_statements r on r.snapshot_id = i.id
    left join lateral (
      select p.calls from optimizer.db_snapshot_statements p
      where p.queryid = r.queryid and p.userid = r.userid and p.dbid = r.dbid and p.toplevel = r.toplevel
        and p.snapshot_id <= i.prev_id and p.snapshot_id >= i.epoch_start
      order by p.snapshot_id desc
      limit 1
    ) b on true
    where r.queryid = any(queryids) and r.toplevel
  ),
  spread as (
    select g.queryid, m.minute, g.calls::float8 / m.minutes as calls
    from grown g
    cross join lateral (
      select t.minute, pg_catalog.count(*) over () as minutes
      from pg_catalog.generate_series(
        pg_catalog.date_trunc('minute', g.prev_at),
        -- snapshots within one minute: that minute
        greatest(pg_catalog.date_trunc('minute', g.taken_at) - interval '1 minute', pg_catalog.date_trunc('minute', g.prev_at)),
        interval '1 minute'
      ) t(minute)
    ) m
    where g.calls > 0
  )
  select s.queryid, s.minute, sum(s.calls)::float8
  from spread s
  where s.minute >= from_ts and s.minute < to_ts
  group by s.queryid, s.minute;
$$;

-- The first minute the snapshots do not cover yet: the minute of the latest snapshot (null without one).
create or replace function optimizer.statement_minutes_known_until()
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select pg_catalog.date_trunc('minute', max(s.taken_at)) from optimizer.db_snapshots s;
$$;

-- As before, and a forecast of statement calls (system db, kind calls) is scored against
-- statement_call_minutes() once a snapshot has closed its last minute.
create or replace function optimizer.score_forecasts(settled_before timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
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
    for update of f skip locked
  ),
  statement_calls as (
    select c.queryid::text as target, c.minute, c.calls
    from (
      select min(p.minute) as first_minute, max(p.minute) as last_minute,
             -- targets of db calls forecasts are queryids (a bigint's text), written by the refresh
             pg_catalog.array_agg(distinct d.target::bigint) as queryids
      from due d join optimizer.forecast_points p on p.forecast_id = d.id
      where d.statement
    ) b
    cross join lateral optimizer.statement_call_minutes(b.first_minute, b.last_minute + interval '1 minute', b.queryids) c
    where b.queryids is not null
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
    left join lateral (
      select case when d.statement then (
               select sum(c.calls) from statement_calls c where c.target = d.target and c.minute = p.minute
             ) else (
               -- a minute has a rollup row per source (server, each reporting user): their sum is its outcome
               select sum(m.count)
               from optimizer.metric_rollups m
               where m.minute = p.minute and m.system = d.system and m.target = d.target and m.kind = d.kind
             ) end as count
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

revoke all on function optimizer.statement_call_minutes(timestamptz, timestamptz, bigint[]),
  optimizer.statement_minutes_known_until(), optimizer.score_forecasts(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.statement_call_minutes(timestamptz, timestamptz, bigint[]),
  optimizer.statement_minutes_known_until(), optimizer.score_forecasts(timestamptz)
  to service_role;
