-- Findings of the recommendations module (shared/recommendations/): one row per fingerprint with its status,
-- and the history of every change of status. The run merges each analysis into these tables
-- (shared/recommendations/merge.ts decides, shared/recommendations/recommendation_store.ts writes).
-- Advisory lock key 8061130003 (beside the metric store's 8061130001 and 8061130002) serialises those merges.

create table if not exists optimizer.findings (
  id bigint generated always as identity primary key,
  -- fingerprint(): SHA-256 of rule, system and subject (shared/finding/finding.ts)
  fingerprint text not null unique check (fingerprint ~ '^[0-9a-f]{64}$'),
  -- the analyzer that reports it: only a complete run of that analyzer can resolve it
  analyzer text not null,
  rule text not null,
  system text not null check (system in ('db', 'cache', 'edge', 'overall')),
  subject text not null,
  severity text not null check (severity in ('info', 'warning', 'critical')),
  -- the Finding as last reported (figures change from run to run; rule, system and subject do not)
  finding jsonb not null,
  status text not null default 'open' check (status in ('open', 'applied', 'dismissed', 'resolved')),
  first_seen timestamptz not null,
  last_seen timestamptz not null,
  status_changed_at timestamptz not null,
  dismissed_by text,
  dismissed_reason text,
  applied_by text,
  applied_at timestamptz,
  -- what undoes the applied action: {"kind": "sql", "sql": …} or {"kind": "config", "patch": …}
  applied_rollback jsonb
);
alter table optimizer.findings enable row level security;
create index if not exists findings_status_system_idx on optimizer.findings (status, system, severity);

create table if not exists optimizer.finding_events (
  id bigint generated always as identity primary key,
  finding_id bigint not null references optimizer.findings (id) on delete cascade,
  event text not null check (event in ('opened', 'seen', 'reopened', 'resolved', 'applied', 'apply_failed',
                                       'rolled_back', 'dismissed')),
  at timestamptz not null,
  -- who: `secret:<key name>`, `user:<sub>`, or `run:<optimizer.runs id>` for the run's own transitions
  actor text not null,
  detail jsonb not null default '{}'::jsonb
);
alter table optimizer.finding_events enable row level security;
create index if not exists finding_events_finding_idx on optimizer.finding_events (finding_id, at desc);

revoke all on optimizer.findings, optimizer.finding_events from public, anon, authenticated;
grant all on optimizer.findings, optimizer.finding_events to service_role;
