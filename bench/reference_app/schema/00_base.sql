-- The QuantForge reference app "as shipped by a young team": types, tables, primary keys, unique
-- constraints, foreign keys and row level security, and no other index. The suite and the peers start
-- from here; 10_shipped_indexes.sql is the other starting point. Idempotent: safe to apply twice.
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_trgm with schema extensions;

do $$
begin
  if not exists (
    select from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'public' and t.typname = 'strategy_type'
  ) then
    create type public.strategy_type as enum ('Trend', 'Scalping', 'Grid', 'Martingale', 'Custom');
  end if;
  if not exists (
    select from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'public' and t.typname = 'message_role'
  ) then
    create type public.message_role as enum ('user', 'assistant', 'system');
  end if;
end
$$;

create table if not exists public.robots (
  id uuid primary key default extensions.gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 255),
  description text check (char_length(description) <= 5000),
  code text not null,
  strategy_type public.strategy_type not null default 'Custom',
  strategy_params jsonb not null default '{}'::jsonb,
  backtest_settings jsonb,
  analysis_result jsonb,
  chat_history jsonb not null default '[]'::jsonb,
  version integer not null default 1,
  is_active boolean not null default true,
  is_public boolean not null default false,
  view_count integer not null default 0,
  copy_count integer not null default 0,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, name)
);

-- Every chat turn as its own row; robots.chat_history keeps the recent turns the editor shows.
create table if not exists public.robot_messages (
  id bigint generated always as identity primary key,
  robot_id uuid not null references public.robots (id) on delete cascade,
  user_id uuid not null,
  role public.message_role not null,
  content text not null,
  created_at timestamptz not null default now()
);

create table if not exists public.market_candles (
  symbol text not null,
  timeframe text not null check (timeframe in ('M1', 'M5', 'M15', 'H1', 'H4', 'D1')),
  open_time timestamptz not null,
  open double precision not null,
  high double precision not null,
  low double precision not null,
  close double precision not null,
  volume double precision not null,
  primary key (symbol, timeframe, open_time)
);

alter table public.robots enable row level security;
alter table public.robot_messages enable row level security;
alter table public.market_candles enable row level security;

-- auth.uid() per row, not (select auth.uid()): how the app's migration wrote it, and what advisors flag.
drop policy if exists "owners manage their robots" on public.robots;
create policy "owners manage their robots" on public.robots
  for all to authenticated
  using (auth.uid() = user_id)
  with check (auth.uid() = user_id);

drop policy if exists "anyone reads public robots" on public.robots;
create policy "anyone reads public robots" on public.robots
  for select to anon, authenticated
  using (is_public = true and deleted_at is null);

drop policy if exists "owners manage their messages" on public.robot_messages;
create policy "owners manage their messages" on public.robot_messages
  for all to authenticated
  using (auth.uid() = user_id)
  with check (auth.uid() = user_id);

drop policy if exists "anyone reads candles" on public.market_candles;
create policy "anyone reads candles" on public.market_candles
  for select to anon, authenticated
  using (true);
