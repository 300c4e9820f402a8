-- Misses the cache's size budget caused: a key evicted for size while still fresh and stored again before it
-- would have gone stale was missed because of the budget. Its read marks (optimizer.cache_read_history) now keep
-- how long it would have stayed fresh, and the store that follows the miss reports an event of kind
-- `evicted_read` for the namespace: the evidence the cache analyzer states a larger budget's gain from, and that
-- the check of a raised budget is measured against (shared/system/check_cache_budget.ts).

alter table optimizer.cache_read_history add column if not exists evicted_fresh_until timestamptz;

-- As in 20261129004000, and an entry cache_evict() deletes for size while it is fresh keeps when it would have
-- gone stale; expiry and invalidation leave that null.
create or replace function optimizer.cache_keep_read_marks()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  -- set by cache_evict() around its deletes for size only
  evicted_at timestamptz := pg_catalog.to_timestamp(
    nullif(pg_catalog.current_setting('optimizer.cache_evicted_at', true), '')::double precision);
begin
  insert into optimizer.cache_read_history as h (namespace, key, read_at, read_priority, evicted_fresh_until)
  select g.namespace, g.key, g.read_at, g.read_priority,
         case when g.fresh_until > evicted_at then g.fresh_until end
  from gone g
  on conflict on constraint cache_read_history_pkey do update
    set read_at = excluded.read_at, read_priority = excluded.read_priority,
      evicted_fresh_until = excluded.evicted_fresh_until;
  return null;
end;
$$;

-- As in 20261130001000, and the store of a key evicted while fresh reports its miss as the budget's.
create or replace function optimizer.cache_put(
  namespace text,
  key text,
  value text,
  tags text[],
  version_sum bigint,
  ttl_ms integer,
  stale_ms integer,
  now timestamptz default now(),
  stale_if_error_ms integer default 0
)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  mark optimizer.cache_read_history;
begin
  if optimizer.cache_version_sum(namespace, tags) <> version_sum then
    return false;
  end if;
  delete from optimizer.cache_read_history h
  where h.namespace = cache_put.namespace and h.key = cache_put.key
  returning * into mark;
  -- a key the budget evicted while it was fresh, stored again before it would have gone stale: the miss that
  -- loaded it was the budget's, the cache analyzer's evidence that a larger one would have served it
  if mark.evicted_fresh_until > now then
    perform optimizer.ingest_metric_events(
      pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
        'occurred_at', now, 'system', 'cache', 'target', namespace, 'kind', 'evicted_read')),
      'cache:shared-tier');
  end if;
  insert into optimizer.cache_entries as e
    (namespace, key, value, tags, version_sum, bytes, stored_at, fresh_until, stale_until, error_until, read_at,
      first_stored_at, read_priority)
  values (
    namespace, key, value, tags, version_sum, pg_catalog.octet_length(value), now,
    now + pg_catalog.make_interval(secs => ttl_ms / 1000.0),
    now + pg_catalog.make_interval(secs => (ttl_ms + stale_ms) / 1000.0),
    case when stale_if_error_ms > 0
      then now + pg_catalog.make_interval(secs => (ttl_ms + stale_ms + stale_if_error_ms) / 1000.0) end,
    now, now,
    -- marks older than 120 minutes are forgotten (cache_evict() deletes them too)
    case
      when mark.read_at >= now - interval '120 minutes'
        then optimizer.cache_read_priority(mark.read_priority, mark.read_at, now)
      else optimizer.cache_read_priority(null, null, now)
    end
  )
  on conflict on constraint cache_entries_pkey do update
    set value = excluded.value, tags = excluded.tags, version_sum = excluded.version_sum,
      bytes = excluded.bytes, stored_at = excluded.stored_at, fresh_until = excluded.fresh_until,
      stale_until = excluded.stale_until, error_until = excluded.error_until, read_at = excluded.read_at,
      first_stored_at = coalesce(e.first_stored_at, e.stored_at),
      read_minutes = e.read_minutes
        + (pg_catalog.date_trunc('minute', e.read_at) < pg_catalog.date_trunc('minute', excluded.read_at))::integer,
      read_priority = optimizer.cache_read_priority(e.read_priority, e.read_at, excluded.read_at);
  return true;
end;
$$;

-- As in 20261130001000, and the entries deleted for size are marked as evicted (cache_keep_read_marks()).
create or replace function optimizer.cache_evict(budget_bytes bigint, now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  per_namespace jsonb;
begin
  delete from optimizer.cache_entries e where coalesce(e.error_until, e.stale_until) <= now;
  -- what goes for size is marked with the instant, so that its read marks say it went while fresh
  perform pg_catalog.set_config('optimizer.cache_evicted_at', extract(epoch from now)::text, true);
  with ranked as (
    select e.namespace, e.key,
      sum(e.bytes) over (order by e.read_priority desc, e.namespace, e.key) as kept
    from optimizer.cache_entries e
  ),
  gone as (
    delete from optimizer.cache_entries e
    using ranked r
    where e.namespace = r.namespace and e.key = r.key and r.kept > budget_bytes
    returning e.namespace
  )
  select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'occurred_at', now, 'system', 'cache', 'target', g.namespace, 'kind', 'eviction', 'weight', least(g.n, 1000000)))
  into per_namespace
  from (select gone.namespace, count(*) as n from gone group by gone.namespace) g;
  perform pg_catalog.set_config('optimizer.cache_evicted_at', '', true);
  delete from optimizer.cache_read_history h where h.read_at < now - interval '120 minutes';
  delete from optimizer.cache_read_history h
  using (
    select o.namespace, o.key from optimizer.cache_read_history o
    order by o.read_priority desc, o.namespace, o.key offset 100000
  ) over
  where h.namespace = over.namespace and h.key = over.key;
  if per_namespace is null then
    return 0;
  end if;
  -- through the ingest function, which holds the ingest lock the rollup's watermark relies on
  perform optimizer.ingest_metric_events(per_namespace, 'job:optimizer-cache-evict');
  return (select sum((e ->> 'weight')::integer) from pg_catalog.jsonb_array_elements(per_namespace) e);
end;
$$;
