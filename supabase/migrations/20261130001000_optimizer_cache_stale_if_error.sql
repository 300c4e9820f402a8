-- Stale-if-error (shared/cache/shared_cache.ts): an entry may be kept past its stale window to be served only when
-- its loader fails (a dependency down, a circuit breaker open), never to a read that can load. error_until ends
-- that window; null: none, and the entry goes at stale_until as before.

alter table optimizer.cache_entries add column if not exists error_until timestamptz;
alter table optimizer.cache_entries drop constraint if exists cache_entries_error_until_check;
alter table optimizer.cache_entries add constraint cache_entries_error_until_check
  check (error_until is null or error_until > stale_until);

-- As in 20261129004000, with the error window: the old signature goes, so that a call with eight arguments has
-- one function to resolve to.
drop function if exists optimizer.cache_put(text, text, text, text[], bigint, integer, integer, timestamptz);
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

-- The entry a failed load may fall back on: in its error window (or still servable), and none of its tags
-- invalidated since it was stored. Not a read: the read marks stay what the app's reads made them.
create or replace function optimizer.cache_get_if_error(namespace text, key text, now timestamptz default now())
returns table (value text, stale_until timestamptz)
language sql
stable
set search_path = ''
begin atomic
  select e.value, e.stale_until
  from optimizer.cache_entries e
  where e.namespace = cache_get_if_error.namespace and e.key = cache_get_if_error.key
    and coalesce(e.error_until, e.stale_until) > cache_get_if_error.now
    and e.version_sum = optimizer.cache_version_sum(e.namespace, e.tags);
end;

-- As in 20261129004000, and a reload keeps the entry's error window.
create or replace function optimizer.cache_refresh_put(
  namespace text,
  key text,
  value text,
  versions bigint,
  now timestamptz default now()
)
returns text
language plpgsql
set search_path = ''
as $$
declare
  entry optimizer.cache_entries;
begin
  select * into entry
  from optimizer.cache_entries e
  where e.namespace = cache_refresh_put.namespace and e.key = cache_refresh_put.key and e.stale_until > now;
  if not found then
    return 'gone';
  end if;
  if not optimizer.cache_put(
    namespace, key, value, entry.tags, versions,
    (extract(epoch from entry.fresh_until - entry.stored_at) * 1000)::integer,
    (extract(epoch from entry.stale_until - entry.fresh_until) * 1000)::integer,
    now,
    coalesce((extract(epoch from entry.error_until - entry.stale_until) * 1000)::integer, 0)
  ) then
    return 'invalidated';
  end if;
  update optimizer.cache_entries e
  set read_at = entry.read_at, read_minutes = entry.read_minutes, read_priority = entry.read_priority
  where e.namespace = cache_refresh_put.namespace and e.key = cache_refresh_put.key;
  return 'refreshed';
end;
$$;

-- As in 20261129004000, but an entry in its error window is kept (it goes at the end of that window, or for
-- size like any other).
create or replace function optimizer.cache_evict(budget_bytes bigint, now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  per_namespace jsonb;
begin
  delete from optimizer.cache_entries e where coalesce(e.error_until, e.stale_until) <= now;
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

revoke all on function
  optimizer.cache_put(text, text, text, text[], bigint, integer, integer, timestamptz, integer),
  optimizer.cache_get_if_error(text, text, timestamptz)
  from public, anon, authenticated;
grant execute on function
  optimizer.cache_put(text, text, text, text[], bigint, integer, integer, timestamptz, integer),
  optimizer.cache_get_if_error(text, text, timestamptz)
  to service_role;
