-- The suite's module names in one SQL place: the keys of ModulesSchema in shared/config/config.ts, in its order
-- (tests/unit/module_names.test.ts keeps the two in step). The run log's check and the status overview read
-- them here instead of each carrying its own list.
create or replace function optimizer.module_names()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select array['monitoring', 'recommendations', 'predictive', 'warmer', 'cache', 'systemWide']::text[];
$$;

-- Each module's latest run, by module name: one index probe per module rather than walking every run.
create or replace function optimizer.module_last_runs()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_object_agg(m.module, pg_catalog.jsonb_build_object(
    'trigger', r.trigger, 'status', r.status, 'started_at', r.started_at, 'finished_at', r.finished_at,
    'summary', r.summary, 'error', r.error
  )), '{}'::jsonb)
  from pg_catalog.unnest(optimizer.module_names()) m(module)
  cross join lateral (
    select x.* from optimizer.runs x where x.module = m.module order by x.started_at desc limit 1
  ) r;
$$;

-- The released status_overview() carries its own copy of the module list. Released functions are not
-- rewritten, so it is kept under a new name for its volumes, freshness and cron figures, and the new
-- status_overview() below replaces its 'modules' with module_last_runs() (jsonb || keeps the right-hand key).
-- Renaming only once keeps this migration re-runnable.
do $$
begin
  if pg_catalog.to_regprocedure('optimizer.pipeline_overview(timestamptz)') is null then
    alter function optimizer.status_overview(timestamptz) rename to pipeline_overview;
  end if;
end;
$$;

-- Rows already in optimizer.runs passed the released list, which holds the same names.
alter table optimizer.runs drop constraint if exists runs_module_check;
alter table optimizer.runs add constraint runs_module_check check (module = any (optimizer.module_names()));

-- A standard SQL body (begin atomic) is bound when created: Postgres then records that it depends on
-- pipeline_overview() and module_last_runs(), and refuses to drop either while it exists.
create or replace function optimizer.status_overview(now timestamptz default now())
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select optimizer.pipeline_overview(now) || pg_catalog.jsonb_build_object('modules', optimizer.module_last_runs());
end;

revoke all on function optimizer.module_names(), optimizer.module_last_runs(),
  optimizer.status_overview(timestamptz) from public, anon, authenticated;
grant execute on function optimizer.module_names(), optimizer.module_last_runs(),
  optimizer.status_overview(timestamptz) to service_role;
