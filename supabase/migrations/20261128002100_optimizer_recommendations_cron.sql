-- The recommendations refresh on pg_cron: the job calls POST /functions/v1/recommendations/refresh through
-- pg_net with the project's URL and secret key from Vault, as on hosted Supabase, where:
--  * pg_net's functions live in schema net (the extension is enabled below where it is available; the local
--    stack provides the same net.http_post in supabase/local/04_net.sql);
--  * Vault (supabase_vault) is installed on every project; store the two secrets once:
--      select vault.create_secret('https://<project-ref>.supabase.co', 'project_url');
--      select vault.create_secret('sb_secret_…', 'optimizer_secret_key');

do $$
begin
  if pg_catalog.to_regnamespace('net') is null
     and exists (select 1 from pg_catalog.pg_available_extensions e where e.name = 'pg_net') then
    create extension if not exists pg_net;
  end if;
end;
$$;

-- Asks the function for a refresh when one is due, and returns pg_net's request id (null when not due).
-- The job runs every minute and decides here, so that a changed intervals.recommendationsMinutes or
-- modules.recommendations in optimizer.config takes effect without rescheduling it. Due means: the module
-- is on and no recommendations run (cron or api: a fresh analysis is a fresh analysis) started within the
-- interval. The function records a 'running' run as it starts, so a refresh in progress is not asked for
-- twice; a request that never reached it records nothing and is asked for again a minute later.
-- Defaults as in shared/config/config.ts (recommendations on, every 60 minutes, runs of at most 60 s).
create or replace function optimizer.request_recommendations_refresh(now timestamptz default now())
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  settings jsonb := coalesce((select c.value from optimizer.config c where c.id), '{}'::jsonb);
  enabled boolean := coalesce((settings -> 'modules' ->> 'recommendations')::boolean, true);
  every_minutes integer := coalesce((settings -> 'intervals' ->> 'recommendationsMinutes')::integer, 60);
  max_run_seconds integer := coalesce((settings -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60);
  project_url text;
  secret_key text;
begin
  if not enabled then
    return null;
  end if;
  if exists (
    select 1 from optimizer.runs r
    where r.module = 'recommendations'
      and r.started_at > now - pg_catalog.make_interval(mins => every_minutes)
  ) then
    return null;
  end if;
  select s.decrypted_secret into project_url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into secret_key from vault.decrypted_secrets s where s.name = 'optimizer_secret_key';
  if project_url is null or secret_key is null then
    raise exception 'Vault secrets project_url and optimizer_secret_key are needed to call the recommendations function'
      using hint = 'select vault.create_secret(''https://<ref>.supabase.co'', ''project_url''); '
                   'select vault.create_secret(''sb_secret_…'', ''optimizer_secret_key'');';
  end if;
  return net.http_post(
    url := pg_catalog.rtrim(project_url, '/') || '/functions/v1/recommendations/refresh',
    params := pg_catalog.jsonb_build_object('trigger', 'cron'),
    headers := pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'apikey', secret_key),
    -- the function answers when the run ends, within limits.maxRunDurationSeconds; 30 s for the rest
    timeout_milliseconds := (max_run_seconds + 30) * 1000
  );
end;
$$;

select cron.schedule('optimizer-recommendations', '* * * * *',
                     'select optimizer.request_recommendations_refresh()');

revoke all on function optimizer.request_recommendations_refresh(timestamptz) from public, anon, authenticated;
grant execute on function optimizer.request_recommendations_refresh(timestamptz) to service_role;
