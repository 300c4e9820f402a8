-- The shared tier of the suite's cache (shared/cache/): entries every isolate of every function sees, so that
-- an isolate retired by the platform does not take the cache with it. Unlogged: a cache need not survive a
-- crash (Postgres empties unlogged tables on crash recovery) and skips the write-ahead log on every store.
-- Tag versions are logged: an isolate's own small tier checks them, and they must never go back.

create unlogged table if not exists optimizer.cache_entries (
  namespace text not null,
  key text not null,
  -- the value's JSON as text: stored and served as it is, never parsed by Postgres
  value text not null,
  tags text[] not null default '{}',
  -- the sum of the tags' versions when the value was loaded: a later invalidation of any tag raises it
  version_sum bigint not null,
  bytes integer not null check (bytes >= 0),
  stored_at timestamptz not null,
  fresh_until timestamptz not null,
  -- served stale (and refreshed in the background) until then
  stale_until timestamptz not null check (stale_until >= fresh_until),
  -- when it was last read, to the minute: what eviction goes by
  read_at timestamptz not null,
  primary key (namespace, key)
);
alter table optimizer.cache_entries enable row level security;
-- invalidation deletes by tag
create index if not exists cache_entries_tags_idx on optimizer.cache_entries using gin (tags);
-- eviction takes the least recently read first
create index if not exists cache_entries_read_at_idx on optimizer.cache_entries (read_at);

create table if not exists optimizer.cache_tag_versions (
  namespace text not null,
  tag text not null,
  version bigint not null check (version > 0),
  primary key (namespace, tag)
);
alter table optimizer.cache_tag_versions enable row level security;

-- The sum of the versions of `tags` in `namespace` (0 for tags never invalidated): versions only grow, so the
-- sum grows whenever any of the tags is invalidated.
create or replace function optimizer.cache_version_sum(namespace text, tags text[])
returns bigint
language sql
stable
set search_path = ''
begin atomic
  select coalesce(sum(v.version), 0)::bigint
  from optimizer.cache_tag_versions v
  where v.namespace = cache_version_sum.namespace and v.tag = any(cache_version_sum.tags);
end;

-- Stores an entry unless one of its tags was invalidated since the loader started (its version sum then is no
-- longer `version_sum`): a value read before a write must not be cached after it. Returns whether it stored.
-- An invalidation that commits between the check and the insert leaves an entry whose version_sum is behind:
-- cache_get() never serves it, and eviction removes it.
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
begin
  if optimizer.cache_version_sum(namespace, tags) <> version_sum then
    return false;
  end if;
  insert into optimizer.cache_entries as e
    (namespace, key, value, tags, version_sum, bytes, stored_at, fresh_until, stale_until, read_at)
  values (
    namespace, key, value, tags, version_sum, pg_catalog.octet_length(value), now,
    now + pg_catalog.make_interval(secs => ttl_ms / 1000.0),
    now + pg_catalog.make_interval(secs => (ttl_ms + stale_ms) / 1000.0),
    now
  )
  on conflict on constraint cache_entries_pkey do update
    set value = excluded.value, tags = excluded.tags, version_sum = excluded.version_sum,
      bytes = excluded.bytes, stored_at = excluded.stored_at, fresh_until = excluded.fresh_until,
      stale_until = excluded.stale_until, read_at = excluded.read_at;
  return true;
end;
$$;

-- One round trip of a read: the entry still servable at `now` whose tags were not invalidated since it was
-- stored (no row when there is none), and the current version sum of the caller's `tags` (what a load that
-- follows a miss passes to cache_put()). Marks the entry read at most once a minute, so that a hot entry is
-- not rewritten on every read.
create or replace function optimizer.cache_get(namespace text, key text, tags text[], now timestamptz default now())
returns table (
  hit boolean, value text, entry_tags text[], fresh_until timestamptz, version_sum bigint,
  current_version_sum bigint
)
language plpgsql
set search_path = ''
as $$
begin
  update optimizer.cache_entries e set read_at = now
  where e.namespace = cache_get.namespace and e.key = cache_get.key and e.read_at < now - interval '1 minute';
  return query
    select e.value is not null, e.value, e.tags, e.fresh_until, e.version_sum,
      optimizer.cache_version_sum(cache_get.namespace, cache_get.tags)
    from (select 1) one
    left join optimizer.cache_entries e
      on e.namespace = cache_get.namespace and e.key = cache_get.key and e.stale_until > now
        and e.version_sum = optimizer.cache_version_sum(e.namespace, e.tags);
end;
$$;

-- Invalidates `tags` in `namespace`: bumps their versions (so that no isolate serves what it holds of them, and
-- no load that started before stores its value) and deletes the shared entries that carry any of them.
-- Returns the entries deleted.
create or replace function optimizer.cache_invalidate(namespace text, tags text[])
returns integer
language plpgsql
set search_path = ''
as $$
declare
  deleted integer;
begin
  insert into optimizer.cache_tag_versions as v (namespace, tag, version)
  select cache_invalidate.namespace, t.tag, 1 from pg_catalog.unnest(cache_invalidate.tags) as t(tag)
  on conflict on constraint cache_tag_versions_pkey do update set version = v.version + 1;
  delete from optimizer.cache_entries e
  where e.namespace = cache_invalidate.namespace and e.tags && cache_invalidate.tags;
  get diagnostics deleted = row_count;
  return deleted;
end;
$$;

-- Deletes expired entries, then the least recently read ones until the shared tier holds at most `budget_bytes`
-- (limits.cacheSizeBudgetMb), and records one `eviction` event per namespace weighted with the count evicted
-- for size (at most 1,000,000 per minute: the events' weight bound). Returns the entries evicted for size.
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
      sum(e.bytes) over (order by e.read_at desc, e.namespace, e.key) as kept
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
  if per_namespace is null then
    return 0;
  end if;
  -- through the ingest function, which holds the ingest lock the rollup's watermark relies on
  perform optimizer.ingest_metric_events(per_namespace, 'job:optimizer-cache-evict');
  return (select sum((e ->> 'weight')::integer) from pg_catalog.jsonb_array_elements(per_namespace) e);
end;
$$;

-- Every minute: the budget from optimizer.config (limits.cacheSizeBudgetMb, default 64 as in
-- shared/config/config.ts).
select cron.schedule('optimizer-cache-evict', '* * * * *',
  $$select optimizer.cache_evict((coalesce((optimizer.stored_config() -> 'limits' ->> 'cacheSizeBudgetMb')::numeric, 64) * 1048576)::bigint)$$);

revoke all on optimizer.cache_entries, optimizer.cache_tag_versions from public, anon, authenticated;
grant all on optimizer.cache_entries, optimizer.cache_tag_versions to service_role;
revoke all on function optimizer.cache_version_sum(text, text[]),
  optimizer.cache_put(text, text, text, text[], bigint, integer, integer, timestamptz),
  optimizer.cache_get(text, text, text[], timestamptz), optimizer.cache_invalidate(text, text[]),
  optimizer.cache_evict(bigint, timestamptz) from public, anon, authenticated;
grant execute on function optimizer.cache_version_sum(text, text[]),
  optimizer.cache_put(text, text, text, text[], bigint, integer, integer, timestamptz),
  optimizer.cache_get(text, text, text[], timestamptz), optimizer.cache_invalidate(text, text[]),
  optimizer.cache_evict(bigint, timestamptz) to service_role;
