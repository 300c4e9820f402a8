-- The predictive refresh on pg_cron: the job calls POST /functions/v1/predictive/refresh through pg_net with
-- the project's URL and secret key from Vault, as the recommendations job does
-- (20261128002100_optimizer_recommendations_cron.sql explains the pattern and the two Vault secrets).

-- Asks the function for a refresh when one is due, and returns pg_net's request id (null when not due). The
-- job runs every minute and decides here, so that a changed intervals.predictiveMinutes or modules.predictive
-- takes effect without rescheduling it. Due means: the module is on and no predictive run started within the
-- interval. Defaults as in shared/config/config.ts (predictive on, every 15 minutes, runs of at most 60 s).
create or replace function optimizer.request_predictive_refresh(now timestamptz default now())
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  settings jsonb := coalesce((select c.value from optimizer.config c where c.id), '{}'::jsonb);
  enabled boolean := coalesce((settings -> 'modules' ->> 'predictive')::boolean, true);
  every_minutes integer := coalesce((settings -> 'intervals' ->> 'predictiveMinutes')::integer, 15);
  max_run_seconds integer := coalesce((settings -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60);
  project_url text;
  secret_key text;
begin
  if not enabled then
    return null;
  end if;
  if exists (
    select 1 from optimizer.runs r
    where r.module = 'predictive'
      and r.started_at > now - pg_catalog.make_interval(mins => every_minutes)
  ) then
    return null;
  end if;
  select s.decrypted_secret into project_url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into secret_key from vault.decrypted_secrets s where s.name = 'optimizer_secret_key';
  if project_url is null or secret_key is null then
    raise exception 'Vault secrets project_url and optimizer_secret_key are needed to call the predictive function'
      using hint = 'select vault.create_secret(''https://<ref>.supabase.co'', ''project_url''); '
                   'select vault.create_secret(''sb_secret_…'', ''optimizer_secret_key'');';
  end if;
  return net.http_post(
    url := pg_catalog.rtrim(project_url, '/') || '/functions/v1/predictive/refresh',
    params := pg_catalog.jsonb_build_object('trigger', 'cron'),
    headers := pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'apikey', secret_key),
    -- the function answers when the run ends, within limits.maxRunDurationSeconds; 30 s for the rest
    timeout_milliseconds := (max_run_seconds + 30) * 1000
  );
end;
$$;

select cron.schedule('optimizer-predictive', '* * * * *', 'select optimizer.request_predictive_refresh()');

revoke all on function optimizer.request_predictive_refresh(timestamptz) from public, anon, authenticated;
grant execute on function optimizer.request_predictive_refresh(timestamptz) to service_role;
