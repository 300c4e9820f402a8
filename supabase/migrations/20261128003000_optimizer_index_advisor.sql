-- The workload index advisor (shared/advisor/) plans the workload with hypothetical indexes (hypopg), and
-- reads the constants of predicates from pg_qualstats where it collects them. Both are optional here so
-- that this migration runs unchanged wherever the suite is installed: hosted Supabase offers hypopg but not
-- pg_qualstats, and pg_qualstats collects nothing unless it is in shared_preload_libraries (which only a
-- superuser may read: a role that cannot is taken not to have it). Without either, the advisor says so in
-- its notes.
do $$
declare
  preloaded text;
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'hypopg') then
    create extension if not exists hypopg with schema extensions;
  end if;
  begin
    preloaded := pg_catalog.current_setting('shared_preload_libraries');
  exception when insufficient_privilege then
    preloaded := '';
  end;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_qualstats')
     and preloaded ~ '(^|,)\s*pg_qualstats\s*(,|$)' then
    create extension if not exists pg_qualstats with schema extensions;
  end if;
end;
$$;
