-- Back to the "primary keys and unique constraints only" state: drops exactly the indexes of
-- 10_shipped_indexes.sql. Idempotent.
drop index if exists public.idx_robots_user_id;
drop index if exists public.idx_robots_is_active;
drop index if exists public.idx_robots_is_public;
drop index if exists public.idx_robots_strategy_type;
drop index if exists public.idx_robots_created_at;
drop index if exists public.idx_robots_updated_at;
drop index if exists public.idx_robots_user_active_created;
drop index if exists public.idx_robots_strategy_params;
drop index if exists public.idx_robots_chat_history;
drop index if exists public.idx_robots_name_trgm;
drop index if exists public.idx_robots_description_trgm;
