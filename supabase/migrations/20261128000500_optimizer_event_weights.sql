-- Weighted events: one stored event may stand for `weight` occurrences of its kind (the request tally's
-- counts of 401/404/405 answers and warm-up pings, shared/http/request_tally.ts), and every rollup tier and
-- series counts occurrences, not rows. Idempotent, and safe on a database that already holds events and
-- rollups: events stored before this migration get weight 1, which is what the rollups already counted them
-- as, so nothing is rolled up again.

-- A constant default is stored once in the catalog (Postgres 11+): adding the column rewrites no partition.
-- The bound is maxEventCount of shared/metrics/metric_event.ts, checked there with a field path first.
alter table optimizer.metric_events
  add column if not exists weight integer not null default 1
    constraint metric_events_weight_check check (weight between 1 and 1000000);

-- ingest_metric_events of 20261126000000 with the weight read from each event (absent: 1).
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
    (occurred_at, system, target, kind, latency_ms, error, cold_start, cache_hit, attrs, reporter, weight)
  select e.occurred_at, e.system, e.target, e.kind, e.latency_ms,
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

-- fold_metric_events of 20261128000200 with every aggregate weighted: an event of weight w counts w times
-- in count, errors, cold starts, hits, misses and latency_count, adds w * latency_ms to latency_sum (its
-- latency is the mean of its occurrences, so the sum is exact) and w to the histogram bucket of that mean.
-- The bucket is an approximation: the occurrences' own latencies are spread around the mean, so
-- percentiles over weighted events are those of a distribution with all of them at the mean (the sender
-- keeps the slowest in attrs.maxLatencyMs). latency_min/latency_max are of the means likewise. `events`
-- still returns the number of events (rows) folded; the watermark logic is rollup_metrics', unchanged.
create or replace function optimizer.fold_metric_events(after_id bigint, up_to_id bigint)
returns table (events bigint, tier_rows jsonb)
language plpgsql
set search_path = ''
as $$
declare
  tier record;
  counts text[] := '{}';
  statement text := $q$
    with ev as (
      select pg_catalog.date_bin('1 minute', e.occurred_at, timestamptz '2000-01-01 00:00:00+00') as minute,
             e.system, e.target, e.kind,
             case when e.reporter like 'user:%' then e.reporter else 'server' end as source, -- see 20261128000200
             e.latency_ms, e.error, e.cold_start, e.cache_hit, e.weight,
             -- optimizer.latency_bucket(e.latency_ms), written out: a function with its own search_path
             -- is never inlined and the call would cost a third of the rollup (tests keep the two equal)
             -- (greatest ignores nulls: an event without latency must stay without bucket)
             case when e.latency_ms is not null then pg_catalog.ceil(
               pg_catalog.ln(greatest(e.latency_ms, 0.001::double precision))
               / pg_catalog.ln((1 + 0.01::double precision) / (1 - 0.01::double precision))
             )::integer end as bucket
      from optimizer.metric_events e
      where e.id > $1 and e.id <= $2
    ),
    totals as (
      -- sum(integer) is a bigint; a filter that matches no event sums to null, counted as 0
      select ev.minute, ev.system, ev.target, ev.kind, ev.source,
             count(*) as events,
             sum(ev.weight) as count,
             coalesce(sum(ev.weight) filter (where ev.error), 0) as errors,
             coalesce(sum(ev.weight) filter (where ev.cold_start), 0) as cold_starts,
             coalesce(sum(ev.weight) filter (where ev.cache_hit), 0) as hits,
             coalesce(sum(ev.weight) filter (where not ev.cache_hit), 0) as misses,
             coalesce(sum(ev.weight) filter (where ev.latency_ms is not null), 0) as latency_count,
             coalesce(sum(ev.latency_ms * ev.weight), 0) as latency_sum,
             min(ev.latency_ms) as latency_min,
             max(ev.latency_ms) as latency_max
      from ev
      group by ev.minute, ev.system, ev.target, ev.kind, ev.source
    ),
    bucket_counts as (
      select ev.minute, ev.system, ev.target, ev.kind, ev.source, ev.bucket, sum(ev.weight) as n
      from ev
      where ev.bucket is not null -- events without a latency have no bucket
      group by ev.minute, ev.system, ev.target, ev.kind, ev.source, ev.bucket
    )$q$;
begin
  for tier in select * from optimizer.rollup_tiers() loop
    -- %1$s: the tier's table (also the prefix of its CTEs), %2$L: its width, %3$I: its time column
    statement := statement || pg_catalog.format($q$,
    %1$s_totals as (
      select pg_catalog.date_bin(%2$L, t.minute, timestamptz '2000-01-01 00:00:00+00') as at,
             t.system, t.target, t.kind, t.source,
             sum(t.count) as count, sum(t.errors) as errors, sum(t.cold_starts) as cold_starts,
             sum(t.hits) as hits, sum(t.misses) as misses, sum(t.latency_count) as latency_count,
             sum(t.latency_sum) as latency_sum, min(t.latency_min) as latency_min,
             max(t.latency_max) as latency_max
      from totals t
      group by 1, t.system, t.target, t.kind, t.source
    ),
    %1$s_hist as (
      select b.at, b.system, b.target, b.kind, b.source,
             pg_catalog.jsonb_object_agg(b.bucket::text, b.n) as histogram
      from (
        select pg_catalog.date_bin(%2$L, c.minute, timestamptz '2000-01-01 00:00:00+00') as at,
               c.system, c.target, c.kind, c.source, c.bucket, sum(c.n) as n
        from bucket_counts c
        group by 1, c.system, c.target, c.kind, c.source, c.bucket
      ) b
      group by b.at, b.system, b.target, b.kind, b.source
    ),
    %1$s_upsert as (
      insert into optimizer.%1$I as r
        (%3$I, system, target, kind, source, count, errors, cold_starts, hits, misses,
         latency_count, latency_sum, latency_min, latency_max, histogram)
      select t.at, t.system, t.target, t.kind, t.source, t.count, t.errors, t.cold_starts, t.hits, t.misses,
             t.latency_count, t.latency_sum, t.latency_min, t.latency_max, coalesce(h.histogram, '{}'::jsonb)
      from %1$s_totals t
      left join %1$s_hist h using (at, system, target, kind, source)
      on conflict (%3$I, system, target, kind, source) do update set
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
    )$q$, tier.table_name, tier.width, tier.time_column);
    counts := counts || pg_catalog.format('%L, (select count(*) from %s_upsert)', tier.table_name, tier.table_name);
  end loop;
  return query execute statement || pg_catalog.format(
    ' select (select coalesce(sum(t.events), 0) from totals t)::bigint, pg_catalog.jsonb_build_object(%s)',
    pg_catalog.array_to_string(counts, ', ')
  ) using after_id, up_to_id;
end;
$$;

-- Privileges of what this migration replaced (create or replace keeps them; restated for a fresh database).
revoke all on function optimizer.ingest_metric_events(jsonb, text) from public, anon, authenticated;
revoke all on function optimizer.fold_metric_events(bigint, bigint) from public, anon, authenticated;
grant execute on function optimizer.ingest_metric_events(jsonb, text) to service_role;
grant execute on function optimizer.fold_metric_events(bigint, bigint) to service_role;
