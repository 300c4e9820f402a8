-- Named loaders for the shared cache, so that the suite can reload an entry without the app being called:
-- refresh-ahead (shared/cache/plan_refreshes.ts) reloads entries forecast to be read soon before they expire.
-- A namespace's loader is either a named query, a Postgres function taking the entry's key as text and returning
-- its value as json or jsonb (e.g. `public.load_candles(key text) returns jsonb`), run here; or an app
-- endpoint, an edge function path the warmer posts {namespace, key} to (shared/cache/refresh_store.ts).

create table if not exists optimizer.cache_loaders (
  namespace text primary key check (pg_catalog.length(namespace) between 1 and 200),
  -- a named query: the function's schema-qualified name, quoted where needed; registration checks that
  -- name(text) exists and returns json or jsonb. Text, not regprocedure: pg_upgrade (how hosted Postgres is
  -- upgraded) refuses tables with reg* columns other than regclass, regrole and regtype.
  function_name text,
  -- an app endpoint: a path under /functions/v1/, its first segment a function's name; no segment starts with a
  -- dot, so that no `..` leads the suite's calls, which carry the secret key, out of /functions/v1/<function>/
  endpoint text check (endpoint ~ '^[A-Za-z][A-Za-z0-9_-]{0,62}(/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,99}){0,8}$'),
  enabled boolean not null default true,
  updated_at timestamptz not null default now(),
  check ((function_name is null) <> (endpoint is null))
);
alter table optimizer.cache_loaders enable row level security;

-- What refresh-ahead needs to know how often an entry is read: the clock minutes in which it was read, the
-- minute of its first load included, since it was first stored. Reads mark an entry at most once a clock minute
-- (so counting them costs no extra write). Both survive a reload of the value; an entry deleted (expired past
-- its stale window, evicted or invalidated) starts again.
alter table optimizer.cache_entries add column if not exists read_minutes integer not null default 1;
alter table optimizer.cache_entries add column if not exists first_stored_at timestamptz;

-- As in 20261128006000, and keeps first_stored_at and read_minutes when a value replaces an older one: a load
-- follows a read, so it counts as one (cache_refresh_put() puts the entry's read marks back).
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
    (namespace, key, value, tags, version_sum, bytes, stored_at, fresh_until, stale_until, read_at, first_stored_at)
  values (
    namespace, key, value, tags, version_sum, pg_catalog.octet_length(value), now,
    now + pg_catalog.make_interval(secs => ttl_ms / 1000.0),
    now + pg_catalog.make_interval(secs => (ttl_ms + stale_ms) / 1000.0),
    now, now
  )
  on conflict on constraint cache_entries_pkey do update
    set value = excluded.value, tags = excluded.tags, version_sum = excluded.version_sum,
      bytes = excluded.bytes, stored_at = excluded.stored_at, fresh_until = excluded.fresh_until,
      stale_until = excluded.stale_until, read_at = excluded.read_at,
      first_stored_at = coalesce(e.first_stored_at, e.stored_at),
      read_minutes = e.read_minutes
        + (pg_catalog.date_trunc('minute', e.read_at) < pg_catalog.date_trunc('minute', excluded.read_at))::integer;
  return true;
end;
$$;

-- As in 20261128006000, but marks a read once per clock minute (not once in any 60 s), and counts those minutes.
create or replace function optimizer.cache_get(namespace text, key text, tags text[], now timestamptz default now())
returns table (
  hit boolean, value text, entry_tags text[], fresh_until timestamptz, version_sum bigint,
  current_version_sum bigint
)
language plpgsql
set search_path = ''
as $$
begin
  update optimizer.cache_entries e set read_at = now, read_minutes = e.read_minutes + 1
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

-- Registers (or replaces) the loader of `namespace`: a named query, `function_name`, which must name an existing
-- function taking one text argument and returning json or jsonb; or an app endpoint. Raises 22023 with what is
-- wrong otherwise.
create or replace function optimizer.put_cache_loader(
  namespace text,
  function_name text,
  endpoint text,
  enabled boolean
)
returns optimizer.cache_loaders
language plpgsql
set search_path = ''
as $$
declare
  fn pg_catalog.regprocedure;
  returns_type pg_catalog.regtype;
  saved optimizer.cache_loaders;
  qualified text;
begin
  if (function_name is null) = (endpoint is null) then
    raise exception 'give a loader either a function or an endpoint' using errcode = '22023';
  end if;
  if endpoint is not null then
    if endpoint !~ '^[A-Za-z][A-Za-z0-9_-]{0,62}(/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,99}){0,8}$' then
      raise exception '% is not an endpoint: give a path under /functions/v1/, e.g. market-data/cache-load',
        pg_catalog.quote_literal(endpoint) using errcode = '22023';
    end if;
    insert into optimizer.cache_loaders as l (namespace, function_name, endpoint, enabled, updated_at)
    values (put_cache_loader.namespace, null, put_cache_loader.endpoint, put_cache_loader.enabled, now())
    on conflict on constraint cache_loaders_pkey do update
      set function_name = null, endpoint = excluded.endpoint, enabled = excluded.enabled,
        updated_at = excluded.updated_at
    returning * into saved;
    return saved;
  end if;
  begin
    fn := pg_catalog.to_regprocedure(function_name || '(text)');
  exception when invalid_name or syntax_error or invalid_text_representation then
    raise exception '% is not a function name: give it as schema.name', pg_catalog.quote_literal(function_name)
      using errcode = '22023';
  end;
  if fn is null then
    raise exception 'function % (key text) does not exist: create it, schema-qualified, before registering it',
      function_name using errcode = '22023';
  end if;
  select p.prorettype::pg_catalog.regtype into returns_type from pg_catalog.pg_proc p where p.oid = fn;
  if returns_type not in ('json'::pg_catalog.regtype, 'jsonb'::pg_catalog.regtype) or (
    select p.proretset from pg_catalog.pg_proc p where p.oid = fn
  ) then
    raise exception 'function % returns %: a loader returns one json or jsonb value', fn, returns_type
      using errcode = '22023';
  end if;
  select pg_catalog.format('%I.%I', n.nspname, p.proname) into qualified
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where p.oid = fn;
  insert into optimizer.cache_loaders as l (namespace, function_name, endpoint, enabled, updated_at)
  values (put_cache_loader.namespace, qualified, null, put_cache_loader.enabled, now())
  on conflict on constraint cache_loaders_pkey do update
    set function_name = excluded.function_name, endpoint = null, enabled = excluded.enabled,
      updated_at = excluded.updated_at
  returning * into saved;
  return saved;
end;
$$;

-- Stores `value` as the reload of an entry, under the tags' version sum `versions` read before the load: with
-- the entry's tags, TTL and stale window as they are, so that a write that invalidated the entry while it loaded
-- wins (cache_put() refuses then). A reload is not a read: the entry's read marks stay what the app's reads made
-- them. Returns 'refreshed', 'gone' (expired past its stale window, evicted or invalidated since) or
-- 'invalidated'.
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
  update optimizer.cache_entries e set read_at = entry.read_at, read_minutes = entry.read_minutes
  where e.namespace = cache_refresh_put.namespace and e.key = cache_refresh_put.key;
  return 'refreshed';
end;
$$;

-- Reloads one entry through its namespace's loader. A named query runs here, and the outcome is
-- cache_refresh_put()'s, or why there was nothing to store: 'gone' (no servable entry), 'no-loader',
-- 'loader-missing' (its function was dropped since it was registered) or 'loader-null' (it found nothing). For
-- an app endpoint the outcome is 'endpoint', with the endpoint and the tags' version sum read now: the caller
-- posts to it and stores its answer with cache_refresh_put().
create or replace function optimizer.cache_refresh(namespace text, key text, now timestamptz default now())
returns table (outcome text, endpoint text, versions bigint)
language plpgsql
set search_path = ''
as $$
declare
  loader optimizer.cache_loaders;
  fn pg_catalog.regprocedure;
  tags text[];
  sum bigint;
  loaded text;
begin
  select * into loader
  from optimizer.cache_loaders l
  where l.namespace = cache_refresh.namespace and l.enabled;
  if not found then
    return query select 'no-loader', null::text, null::bigint;
    return;
  end if;
  select e.tags into tags
  from optimizer.cache_entries e
  where e.namespace = cache_refresh.namespace and e.key = cache_refresh.key and e.stale_until > now;
  if not found then
    return query select 'gone', null::text, null::bigint;
    return;
  end if;
  sum := optimizer.cache_version_sum(namespace, tags);
  if loader.endpoint is not null then
    return query select 'endpoint', loader.endpoint, sum;
    return;
  end if;
  fn := pg_catalog.to_regprocedure(loader.function_name || '(text)');
  if fn is null then
    return query select 'loader-missing', null::text, null::bigint;
    return;
  end if;
  -- with the search path empty, regproc prints the name schema-qualified and quoted: no text reaches format() raw
  execute pg_catalog.format('select %s($1)::text', fn::pg_catalog.regproc) into loaded using key;
  if loaded is null then
    return query select 'loader-null', null::text, null::bigint;
    return;
  end if;
  return query select optimizer.cache_refresh_put(namespace, key, loaded, sum, now), null::text, null::bigint;
end;
$$;

-- The entries refresh-ahead may reload: of namespaces with an enabled loader, still servable, whose freshness
-- ends before `until`, with how often they were read. A scan of the shared tier once a minute (none without an
-- enabled loader: the join's inner side is then empty), rather than an index on fresh_until that every store of
-- every read would update.
create or replace function optimizer.cache_refresh_candidates(now timestamptz, until timestamptz)
returns table (
  namespace text, key text, fresh_until timestamptz, ttl_ms double precision, read_at timestamptz,
  read_minutes integer, first_stored_at timestamptz, bytes integer
)
language sql
stable
set search_path = ''
begin atomic
  select e.namespace, e.key, e.fresh_until,
    extract(epoch from e.fresh_until - e.stored_at) * 1000,
    e.read_at, e.read_minutes, coalesce(e.first_stored_at, e.stored_at), e.bytes
  from optimizer.cache_entries e
  join optimizer.cache_loaders l on l.namespace = e.namespace and l.enabled
  where e.fresh_until < cache_refresh_candidates.until
    and e.stale_until > cache_refresh_candidates.now
    -- an entry whose tags were invalidated since it was stored is never served again: nothing to refresh
    and e.version_sum = optimizer.cache_version_sum(e.namespace, e.tags)
  order by e.fresh_until;
end;

revoke all on optimizer.cache_loaders from public, anon, authenticated;
grant all on optimizer.cache_loaders to service_role;
revoke all on function optimizer.put_cache_loader(text, text, text, boolean),
  optimizer.cache_refresh(text, text, timestamptz),
  optimizer.cache_refresh_put(text, text, text, bigint, timestamptz),
  optimizer.cache_refresh_candidates(timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function optimizer.put_cache_loader(text, text, text, boolean),
  optimizer.cache_refresh(text, text, timestamptz),
  optimizer.cache_refresh_put(text, text, text, bigint, timestamptz),
  optimizer.cache_refresh_candidates(timestamptz, timestamptz) to service_role;

-- Each cache namespace since `since`: its lookups and hits (the rollups), its reloads and the ones that failed,
-- the entries evicted for size, what the shared tier holds of it now, and its loader.
create or replace function optimizer.cache_activity(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  with rolled as (
    select r.target as namespace,
      sum(r.count) filter (where r.kind = 'lookup') as lookups,
      sum(r.hits) filter (where r.kind = 'lookup') as hits,
      sum(r.count) filter (where r.kind = 'refresh') as refreshes,
      sum(r.errors) filter (where r.kind = 'refresh') as refresh_failures,
      sum(r.count) filter (where r.kind = 'eviction') as evictions
    from optimizer.metric_rollups r
    where r.system = 'cache' and r.kind in ('lookup', 'refresh', 'eviction') and r.minute >= since
    group by r.target
  ),
  held as (
    select e.namespace, count(*) as entries, sum(e.bytes) as bytes
    from optimizer.cache_entries e
    group by e.namespace
  ),
  namespaces as (
    select namespace from rolled union select namespace from held
    union select namespace from optimizer.cache_loaders
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'namespace', n.namespace,
    'lookups', coalesce(r.lookups, 0),
    'hits', coalesce(r.hits, 0),
    'refreshes', coalesce(r.refreshes, 0),
    'refresh_failures', coalesce(r.refresh_failures, 0),
    'evictions', coalesce(r.evictions, 0),
    'entries', coalesce(h.entries, 0),
    'bytes', coalesce(h.bytes, 0),
    'loader', case when l.namespace is null then null else pg_catalog.jsonb_build_object(
      'function_name', l.function_name, 'endpoint', l.endpoint, 'enabled', l.enabled) end
  ) order by n.namespace), '[]'::jsonb)
  from namespaces n
  left join rolled r on r.namespace = n.namespace
  left join held h on h.namespace = n.namespace
  left join optimizer.cache_loaders l on l.namespace = n.namespace;
end;

-- As in 20261128008000, and with the caches of the last 24 hours.
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
    'caching', optimizer.cache_activity(now - interval '24 hours')
  );
end;

revoke all on function optimizer.cache_activity(timestamptz), optimizer.status_overview(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.cache_activity(timestamptz), optimizer.status_overview(timestamptz)
  to service_role;
