-- The shared tier's size budget evicts by LRFU over read minutes instead of by the last read alone: a key read in
-- many recent minutes outlives one read once a moment ago. shared/cache/read_priority.ts has the definition, the
-- reasons and the constants (a read's weight halves in 15 minutes; a gone entry's marks are kept 120 minutes);
-- optimizer.cache_read_priority() computes the same, and tests/integration/shared_cache.test.ts checks that.

alter table optimizer.cache_entries add column if not exists read_priority double precision;

-- The marks of entries that are gone (expired, evicted, invalidated), so that a key stored again picks up its
-- worth where it left off: with a minute's TTL every entry is gone within minutes.
create unlogged table if not exists optimizer.cache_read_history (
  namespace text not null,
  key text not null,
  read_at timestamptz not null,
  read_priority double precision not null,
  primary key (namespace, key)
);
alter table optimizer.cache_read_history enable row level security;

-- The priority after a read at `read_at`, from the key's previous priority and the time of its last counted read
-- (previous null: never read, or forgotten). log2(worth) + minute / 15, the worth being the sum over the read
-- minutes of 2^(−age / 15 minutes). Minutes are counted from the epoch, not by date_trunc(), which depends on
-- the session's time zone.
create or replace function optimizer.cache_read_priority(
  previous double precision,
  previous_read_at timestamptz,
  read_at timestamptz
)
returns double precision
language sql
immutable
set search_path = ''
begin atomic
  select case
    when previous is null then m.now
    -- a second read in the same minute (or a clock behind the mark) counts for nothing
    when m.minute <= pg_catalog.floor(extract(epoch from previous_read_at) / 60) then previous
    -- the lower bound keeps power() from underflowing; it changes nothing a double can hold
    else m.now + pg_catalog.ln(1 + pg_catalog.power(2::double precision, greatest(previous - m.now, -1000)))
      / pg_catalog.ln(2::double precision)
  end
  from (
    select minute, minute::double precision / 15 as now
    from (select pg_catalog.floor(extract(epoch from cache_read_priority.read_at) / 60) as minute) t
  ) m;
end;

update optimizer.cache_entries e set read_priority = optimizer.cache_read_priority(null, null, e.read_at)
where e.read_priority is null;
alter table optimizer.cache_entries alter column read_priority set not null;
-- Eviction sorts the whole tier by priority (it is bounded by the budget), and without an index on the read
-- marks a read's once-a-minute update of them is a HOT update.
drop index if exists optimizer.cache_entries_read_at_idx;

-- As in 20261129001000, and counts the store as a read in the priority too, from the marks the key's earlier
-- entry left when there is none.
create or replace function optimizer.cache_put(
  namespace text,
  key text,
  value text,
  tags text[],
  version_sum bigint,
  ttl_ms integer,
  stale_ms integer,
  now timestamptz default now()
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
    (namespace, key, value, tags, version_sum, bytes, stored_at, fresh_until, stale_until, read_at, first_stored_at,
      read_priority)
  values (
    namespace, key, value, tags, version_sum, pg_catalog.octet_length(value), now,
    now + pg_catalog.make_interval(secs => ttl_ms / 1000.0),
    now + pg_catalog.make_interval(secs => (ttl_ms + stale_ms) / 1000.0),
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
      stale_until = excluded.stale_until, read_at = excluded.read_at,
      first_stored_at = coalesce(e.first_stored_at, e.stored_at),
      read_minutes = e.read_minutes
        + (pg_catalog.date_trunc('minute', e.read_at) < pg_catalog.date_trunc('minute', excluded.read_at))::integer,
      read_priority = optimizer.cache_read_priority(e.read_priority, e.read_at, excluded.read_at);
  return true;
end;
$$;

-- As in 20261129001000, and updates the priority with the other read marks.
create or replace function optimizer.cache_get(namespace text, key text, tags text[], now timestamptz default now())
returns table (
  hit boolean, value text, entry_tags text[], fresh_until timestamptz, version_sum bigint,
  current_version_sum bigint
)
language plpgsql
set search_path = ''
as $$
begin
  update optimizer.cache_entries e set read_at = now, read_minutes = e.read_minutes + 1,
    read_priority = optimizer.cache_read_priority(e.read_priority, e.read_at, now)
  where e.namespace = cache_get.namespace and e.key = cache_get.key
    and pg_catalog.date_trunc('minute', e.read_at) < pg_catalog.date_trunc('minute', now);
  return query
    select e.value is not null, e.value, e.tags, e.fresh_until, e.version_sum,
      optimizer.cache_version_sum(cache_get.namespace, cache_get.tags)
    from (select 1) one
    left join optimizer.cache_entries e
      on e.namespace = cache_get.namespace and e.key = cache_get.key and e.stale_until > now
        and e.version_sum = optimizer.cache_version_sum(e.namespace, e.tags);
end;
$$;

-- As in 20261129001000: a reload is not a read, so the priority too stays what the app's reads made it.
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
    now
  ) then
    return 'invalidated';
  end if;
  update optimizer.cache_entries e
  set read_at = entry.read_at, read_minutes = entry.read_minutes, read_priority = entry.read_priority
  where e.namespace = cache_refresh_put.namespace and e.key = cache_refresh_put.key;
  return 'refreshed';
end;
$$;

-- Every entry deleted leaves its read marks, whatever deletes it: expiry and the budget (cache_evict()),
-- invalidation (cache_invalidate()).
create or replace function optimizer.cache_keep_read_marks()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into optimizer.cache_read_history as h (namespace, key, read_at, read_priority)
  select g.namespace, g.key, g.read_at, g.read_priority from gone g
  on conflict on constraint cache_read_history_pkey do update
    set read_at = excluded.read_at, read_priority = excluded.read_priority;
  return null;
end;
$$;

drop trigger if exists cache_entries_keep_read_marks on optimizer.cache_entries;
create trigger cache_entries_keep_read_marks
  after delete on optimizer.cache_entries
  referencing old table as gone
  for each statement execute function optimizer.cache_keep_read_marks();

-- As in 20261128006000, but what goes for size is the lowest priority first; and the marks of entries gone are
-- kept 120 minutes, at most the 100,000 of the highest priority, so that a flood of keys read once cannot grow the
-- history without bound (a row is the key and 24 bytes).
create or replace function optimizer.cache_evict(budget_bytes bigint, now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  per_namespace jsonb;
begin
  delete from optimizer.cache_entries e where e.stale_until <= now;
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

revoke all on optimizer.cache_read_history from public, anon, authenticated;
-- a trigger function needs no right of its own to fire: nobody calls it
revoke all on function optimizer.cache_keep_read_marks() from public, anon, authenticated;
grant all on optimizer.cache_read_history to service_role;
revoke all on function optimizer.cache_read_priority(double precision, timestamptz, timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.cache_read_priority(double precision, timestamptz, timestamptz) to service_role;
