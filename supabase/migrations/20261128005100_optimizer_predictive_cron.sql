-- The predictive refresh on pg_cron, and one request function for every module's scheduled run. The jobs call
-- their function through pg_net with the project's URL and secret key from Vault, as on hosted Supabase
-- (20261128002100_optimizer_recommendations_cron.sql explains the pattern and the two Vault secrets).

-- Posts to /functions/v1/<route>?trigger=cron when a run of `module` is due, and returns pg_net's request id
-- (null when not due). Due means: the module is on and no run of it started within `every_minutes`. The
-- function records a 'running' run as it starts, so a run in progress is not asked for twice; a request that
-- never reached it records nothing and is asked for again a minute later. The caller reads the config.
create or replace function optimizer.request_due_run(
  module text,
  route text,
  enabled boolean,
  every_minutes integer,
  max_run_seconds integer,
  now timestamptz
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  project_url text;
  secret_key text;
begin
  if not enabled then
    return null;
  end if;
  if exists (
    select 1 from optimizer.runs r
    where r.module = request_due_run.module
      and r.started_at > now - pg_catalog.make_interval(mins => every_minutes)
  ) then
    return null;
  end if;
  select s.decrypted_secret into project_url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into secret_key from vault.decrypted_secrets s where s.name = 'optimizer_secret_key';
  if project_url is null or secret_key is null then
    raise exception 'Vault secrets project_url and optimizer_secret_key are needed to call /functions/v1/%', route
      using hint = 'select vault.create_secret(''https://<ref>.supabase.co'', ''project_url''); '
                   'select vault.create_secret(''sb_secret_…'', ''optimizer_secret_key'');';
  end if;
  return net.http_post(
    url := pg_catalog.rtrim(project_url, '/') || '/functions/v1/' || route,
    params := pg_catalog.jsonb_build_object('trigger', 'cron'),
    headers := pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'apikey', secret_key),
    -- the function answers when the run ends, within limits.maxRunDurationSeconds; 30 s for the rest
    timeout_milliseconds := (max_run_seconds + 30) * 1000
  );
end;
$$;

-- The config as stored, {} before anything was stored: the callers below fall back to the defaults of
-- shared/config/config.ts key by key.
create or replace function optimizer.stored_config()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce((select c.value from optimizer.config c where c.id), '{}'::jsonb);
$$;

-- The recommendations refresh, through request_due_run (defaults: on, every 60 minutes, runs of at most 60 s).
create or replace function optimizer.request_recommendations_refresh(now timestamptz default now())
returns bigint
language sql
set search_path = ''
as $$
  select optimizer.request_due_run(
    'recommendations',
    'recommendations/refresh',
    coalesce((c -> 'modules' ->> 'recommendations')::boolean, true),
    coalesce((c -> 'intervals' ->> 'recommendationsMinutes')::integer, 60),
    coalesce((c -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60),
    now
  )
  from optimizer.stored_config() c;
$$;

-- The predictive refresh (defaults: on, every 15 minutes, runs of at most 60 s).
create or replace function optimizer.request_predictive_refresh(now timestamptz default now())
returns bigint
language sql
set search_path = ''
as $$
  select optimizer.request_due_run(
    'predictive',
    'predictive/refresh',
    coalesce((c -> 'modules' ->> 'predictive')::boolean, true),
    coalesce((c -> 'intervals' ->> 'predictiveMinutes')::integer, 15),
    coalesce((c -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60),
    now
  )
  from optimizer.stored_config() c;
$$;

select cron.schedule('optimizer-predictive', '* * * * *', 'select optimizer.request_predictive_refresh()');

revoke all on function optimizer.request_due_run(text, text, boolean, integer, integer, timestamptz),
  optimizer.stored_config(), optimizer.request_recommendations_refresh(timestamptz),
  optimizer.request_predictive_refresh(timestamptz) from public, anon, authenticated;
grant execute on function optimizer.request_due_run(text, text, boolean, integer, integer, timestamptz),
  optimizer.stored_config(), optimizer.request_recommendations_refresh(timestamptz),
  optimizer.request_predictive_refresh(timestamptz) to service_role;
