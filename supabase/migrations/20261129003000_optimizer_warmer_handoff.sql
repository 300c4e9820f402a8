-- The warmer's handoff (docs/warming.md). A warmer run sends its pings from the worker that answered it, and the
-- platform retires that worker a fixed lifetime after its boot (150 s on the free plan, 400 s on paid plans),
-- in-flight work and all. pg_cron starts a run once a minute, so a worker retired mid-minute leaves the rest of
-- that minute without a sender. Each run records when its worker retires (summary.window.senderRetiresAt);
-- this job, every minute, sees whether the latest run's worker retires before the next minute and, if so,
-- waits for that instant and asks for a run then, which a new worker answers.

-- 'handoff': a run asked for when the previous run's worker retired.
alter table optimizer.runs drop constraint if exists runs_trigger_check;
alter table optimizer.runs add constraint runs_trigger_check check (trigger in ('cron', 'api', 'manual', 'handoff'));

-- A POST to /functions/v1/<route> through pg_net with the Vault secrets, `trigger` in its query; returns the
-- pg_net request id. pg_net sends it when the caller's transaction commits.
create or replace function optimizer.post_to_function(route text, run_trigger text, timeout_ms integer)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  project_url text;
  secret_key text;
begin
  select s.decrypted_secret into project_url from vault.decrypted_secrets s where s.name = 'project_url';
  select s.decrypted_secret into secret_key from vault.decrypted_secrets s where s.name = 'optimizer_secret_key';
  if project_url is null or secret_key is null then
    raise exception 'Vault secrets project_url and optimizer_secret_key are needed to call /functions/v1/%', route
      using hint = 'select vault.create_secret(''https://<ref>.supabase.co'', ''project_url''); '
                   'select vault.create_secret(''sb_secret_…'', ''optimizer_secret_key'');';
  end if;
  return net.http_post(
    url := pg_catalog.rtrim(project_url, '/') || '/functions/v1/' || route,
    params := pg_catalog.jsonb_build_object('trigger', run_trigger),
    headers := pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'apikey', secret_key),
    timeout_milliseconds := timeout_ms
  );
end;
$$;

-- request_due_run() as before, but a handoff run does not make the minute's run wait: it plans from mid-minute,
-- and the scheduled runs go on at their instants.
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
begin
  if not enabled then
    return null;
  end if;
  if exists (
    select 1 from optimizer.runs r
    where r.module = request_due_run.module
      and r.trigger <> 'handoff'
      and r.started_at > now - pg_catalog.make_interval(mins => every_minutes) + interval '5 seconds'
  ) then
    return null;
  end if;
  -- the function answers when the run ends, within limits.maxRunDurationSeconds; 30 s for the rest
  return optimizer.post_to_function(route, 'cron', (max_run_seconds + 30) * 1000);
end;
$$;

-- When the latest warmer run's worker retires within the coming minute: wait for it, then ask for a run.
-- Returns the pg_net request id, or null when no handoff is due. The wait holds this job's connection for at
-- most a minute, once per worker lifetime; pg_net sends the request when the job's transaction commits.
create or replace function optimizer.request_warmer_handoff(now timestamptz default now())
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  -- after the retirement, so the request finds the worker gone and boots a new one; the reported boot comes a
  -- little after the platform starts the lifetime's clock, so the retirement is never later than reckoned
  margin constant interval := interval '1 second';
  retires timestamptz;
begin
  if not coalesce((select (c -> 'modules' ->> 'warmer')::boolean from optimizer.stored_config() c), false) then
    return null;
  end if;
  select (r.summary -> 'window' ->> 'senderRetiresAt')::timestamptz into retires
  from optimizer.runs r
  where r.module = 'warmer' and r.status = 'succeeded'
  order by r.started_at desc
  limit 1;
  -- unknown, past, or after the next scheduled run, which a new worker answers anyway
  if retires is null or retires + margin <= now or retires + margin > now + interval '1 minute' then
    return null;
  end if;
  perform pg_catalog.pg_sleep(greatest(0, extract(epoch from retires + margin - pg_catalog.clock_timestamp())));
  return optimizer.post_to_function('warmer/run', 'handoff', 90000);
end;
$$;

select cron.schedule('optimizer-warmer-handoff', '* * * * *', 'select optimizer.request_warmer_handoff()');

revoke all on function optimizer.post_to_function(text, text, integer), optimizer.request_warmer_handoff(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.post_to_function(text, text, integer), optimizer.request_warmer_handoff(timestamptz)
  to service_role;
