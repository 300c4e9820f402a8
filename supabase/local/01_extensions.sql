-- Hosted projects keep extensions in their own schema, not in public (advisor lint extension_in_public).
-- pg_cron, pg_prewarm and plpython3u are only made available (packages + preload): like on hosted, the
-- product's migrations enable the ones they use.
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
create extension if not exists hypopg with schema extensions;
