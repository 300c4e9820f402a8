-- Circuit breaker state shared by every isolate of every function (shared/resilience/): an isolate is short-lived,
-- and one that boots during an outage must not learn it again, with its users' requests, from the failing
-- dependency. One row per breaker (a dependency, such as an upstream API); `state` is what cockatiel's
-- CircuitBreakerPolicy.toJSON() returns. Isolates read a row at most once per short interval and write it on
-- transitions only, with `version` as the compare-and-set guard, so the row stays cheap however busy the calls.

create table if not exists optimizer.breaker_states (
  name text primary key check (pg_catalog.char_length(name) between 1 and 200),
  state jsonb not null,
  -- grows by one with every write: a reader whose copy is older rebuilds its breaker from the row
  version bigint not null default 1 check (version >= 1),
  -- the earliest instant an isolate may claim the open circuit's single half-open probe: its half-open time,
  -- then the end of the claim an isolate holds (null while closed), so that all the isolates that see the
  -- circuit open send one probe between them, not one each, and none right after a failed one
  next_probe_at timestamptz,
  updated_at timestamptz not null default pg_catalog.now()
);
alter table optimizer.breaker_states enable row level security;

revoke all on optimizer.breaker_states from public, anon, authenticated;
grant all on optimizer.breaker_states to service_role;
