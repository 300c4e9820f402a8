-- System-wide runs on pg_cron: the job asks POST /functions/v1/optimize-system?trigger=cron (body {}, so the
-- run takes the config's priority and limits.maxRunDurationSeconds) through optimizer.post_to_function, with
-- the project's URL and secret key from Vault, every intervals.systemWideMinutes while modules.systemWide is on.
-- It runs every minute and decides in request_due_run(), so that a changed interval or module switch takes
-- effect without rescheduling. Wall-clock time, as the recommendations' refresh: the warmer's clock
-- (optimizer.now()) is for replays of the warmer's traffic, not for the project's changes.
-- Defaults as in shared/config/config.ts (systemWide off, every 60 minutes, runs of at most 60 s).
create or replace function optimizer.request_system_run(now timestamptz default now())
returns bigint
language sql
set search_path = ''
as $$
  select optimizer.request_due_run(
    'systemWide',
    'optimize-system',
    coalesce((c -> 'modules' ->> 'systemWide')::boolean, false),
    coalesce((c -> 'intervals' ->> 'systemWideMinutes')::integer, 60),
    coalesce((c -> 'limits' ->> 'maxRunDurationSeconds')::integer, 60),
    now
  )
  from optimizer.stored_config() c;
$$;

select cron.schedule('optimizer-system-wide', '* * * * *', 'select optimizer.request_system_run()');

revoke all on function optimizer.request_system_run(timestamptz) from public, anon, authenticated;
grant execute on function optimizer.request_system_run(timestamptz) to service_role;
