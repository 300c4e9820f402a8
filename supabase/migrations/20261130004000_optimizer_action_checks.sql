-- The checks of the actions the suite applied against what they were estimated to gain
-- (shared/system/verify_gain.ts): one row per apply of a finding, updated by every check until its verdict is
-- final. A finding applied again after a rollback is checked afresh (its applied_at differs).
create table if not exists optimizer.action_checks (
  id bigint generated always as identity primary key,
  finding_id bigint not null references optimizer.findings (id) on delete cascade,
  applied_at timestamptz not null,
  -- the action's kind, e.g. index-build: the estimator's error is reported per kind
  kind text not null,
  checked_at timestamptz not null,
  verdict text not null check (verdict in ('pending', 'kept', 'degraded', 'unused')),
  -- whether the check rolled the action back (verification.rollbackDegraded)
  rolled_back boolean not null default false,
  estimate jsonb not null,
  measured jsonb,
  relative_error double precision check (relative_error >= 0),
  reason text not null,
  unique (finding_id, applied_at)
);
alter table optimizer.action_checks enable row level security;
create index if not exists action_checks_checked_at_idx on optimizer.action_checks (checked_at desc);

-- The checks since `since`, each apply's latest, newest first (at most 200): for the status report's
-- effectiveness, estimated against measured gain per applied action.
create or replace function optimizer.action_activity(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'finding_id', x.finding_id::text, 'rule', x.rule, 'subject', x.subject, 'applied_at', x.applied_at,
    'kind', x.kind, 'checked_at', x.checked_at, 'verdict', x.verdict, 'rolled_back', x.rolled_back,
    'estimate', x.estimate, 'measured', x.measured, 'relative_error', x.relative_error, 'reason', x.reason
  ) order by x.checked_at desc), '[]'::jsonb)
  from (
    select c.*, f.rule, f.subject from optimizer.action_checks c
    join optimizer.findings f on f.id = c.finding_id
    where c.checked_at >= since
    order by c.checked_at desc
    limit 200
  ) x;
end;

-- As in 20261130002000, and with the checks of applied actions of the last 30 days.
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
    'caching', optimizer.cache_activity(now - interval '24 hours'),
    'breakers', optimizer.breaker_activity(now - interval '24 hours'),
    'alerts', optimizer.alert_activity(now - interval '24 hours'),
    'actions', optimizer.action_activity(now - interval '30 days')
  );
end;

revoke all on function optimizer.action_activity(timestamptz), optimizer.status_overview(timestamptz)
  from public, anon, authenticated;
grant execute on function optimizer.action_activity(timestamptz), optimizer.status_overview(timestamptz)
  to service_role;
