-- Index usage over time, so that "unused" can be judged per index. pg_stat_user_indexes.idx_scan counts
-- scans since the statistics were reset, and Postgres records neither when an index was created nor when it
-- was last scanned (last_idx_scan arrives in Postgres 16): an index created an hour ago has idx_scan 0 just
-- like one unused for a year. So every few minutes the suite notes each index's scan count and when that
-- count last changed; an index unused since T is one whose count has not changed since T. One row per
-- index, whatever the retention.

create table if not exists optimizer.index_usage (
  indexrelid oid primary key,
  schemaname name not null,
  indexrelname name not null,
  -- when the suite first saw the index (its creation, to within the observation interval, if it was
  -- created after the suite was installed)
  first_seen_at timestamptz not null default now(),
  idx_scan bigint not null,
  -- when idx_scan was last seen to change (first_seen_at until it does); a statistics reset is a change,
  -- so a reset starts the index's unused time over rather than stretching it
  scans_changed_at timestamptz not null default now()
);
alter table optimizer.index_usage enable row level security;

create or replace function optimizer.observe_index_usage()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  observed integer;
begin
  -- indexes dropped since the last observation
  delete from optimizer.index_usage u
  where not exists (select 1 from pg_catalog.pg_stat_user_indexes s where s.indexrelid = u.indexrelid);

  insert into optimizer.index_usage as u (indexrelid, schemaname, indexrelname, idx_scan)
  select s.indexrelid, s.schemaname, s.indexrelname, coalesce(s.idx_scan, 0)
  from pg_catalog.pg_stat_user_indexes s
  on conflict (indexrelid) do update
    set idx_scan = excluded.idx_scan,
        -- an oid reused by another index (dropped and created between two observations) starts over
        first_seen_at = case when (u.schemaname, u.indexrelname) = (excluded.schemaname, excluded.indexrelname)
                             then u.first_seen_at else now() end,
        scans_changed_at = case when u.idx_scan = excluded.idx_scan
                                     and (u.schemaname, u.indexrelname) = (excluded.schemaname, excluded.indexrelname)
                                then u.scans_changed_at else now() end,
        schemaname = excluded.schemaname,
        indexrelname = excluded.indexrelname;
  get diagnostics observed = row_count;
  return observed;
end;
$$;

-- Its own job, as often as the snapshots, rather than a redefinition of optimizer.take_db_snapshot (two
-- migrations replacing one function would silently keep only the later one's body).
select cron.schedule('optimizer-index-usage', '*/5 * * * *', 'select optimizer.observe_index_usage()');
-- the first observation now, so that an index's unused time counts from the install
select optimizer.observe_index_usage();

revoke all on optimizer.index_usage from public, anon, authenticated;
revoke all on function optimizer.observe_index_usage() from public, anon, authenticated;
grant all on optimizer.index_usage to service_role;
