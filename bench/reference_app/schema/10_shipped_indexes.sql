-- The index set the app's schema shipped with, including the ones no query of the app uses (the JSONB GIN
-- indexes, the trigram indexes its ILIKE plans do not pick). The names are part of the contract:
-- drop_shipped_indexes.sql and shippedIndexNames in mod.ts list the same ones. Idempotent.
create index if not exists idx_robots_user_id on public.robots (user_id);
create index if not exists idx_robots_is_active on public.robots (is_active) where is_active = true;
create index if not exists idx_robots_is_public on public.robots (is_public)
  where is_public = true and deleted_at is null;
create index if not exists idx_robots_strategy_type on public.robots (strategy_type);
create index if not exists idx_robots_created_at on public.robots (created_at desc);
create index if not exists idx_robots_updated_at on public.robots (updated_at desc);
create index if not exists idx_robots_user_active_created on public.robots (user_id, created_at desc)
  where is_active = true and deleted_at is null;
create index if not exists idx_robots_strategy_params on public.robots using gin (strategy_params);
create index if not exists idx_robots_chat_history on public.robots using gin (chat_history);
create index if not exists idx_robots_name_trgm on public.robots using gin (name extensions.gin_trgm_ops);
create index if not exists idx_robots_description_trgm on public.robots
  using gin (description extensions.gin_trgm_ops);
