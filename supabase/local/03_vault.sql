-- Vault as hosted projects have it (same table, view and functions), encrypted with pgcrypto under a
-- per-cluster root key instead of pgsodium, which Debian does not package. Only postgres and service_role
-- may read it.
create schema if not exists vault;
revoke all on schema vault from public;
grant usage on schema vault to service_role;

-- Holds the key; nobody but the owner (postgres) can read it, the functions below are security definer.
create table if not exists vault.root_key (
  id boolean primary key default true check (id),
  key text not null
);
alter table vault.root_key enable row level security;
revoke all on table vault.root_key from public, anon, authenticated, service_role;
insert into vault.root_key (key)
values (encode(extensions.gen_random_bytes(32), 'hex'))
on conflict (id) do nothing;

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;
alter table vault.secrets enable row level security;
revoke all on table vault.secrets from public, anon, authenticated;
grant select, delete on table vault.secrets to service_role;

create or replace function vault._encrypt(plain text) returns text
language sql stable
security definer
set search_path = ''
as $$
  select encode(extensions.pgp_sym_encrypt(plain, (select key from vault.root_key)), 'base64')
$$;

create or replace function vault._decrypt(cipher text) returns text
language sql stable
security definer
set search_path = ''
as $$
  select extensions.pgp_sym_decrypt(decode(cipher, 'base64'), (select key from vault.root_key))
$$;

revoke all on function vault._encrypt(text), vault._decrypt(text) from public;
grant execute on function vault._decrypt(text) to service_role;

create or replace view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret, vault._decrypt(s.secret) as decrypted_secret,
       s.key_id, s.nonce, s.created_at, s.updated_at
from vault.secrets s;
revoke all on table vault.decrypted_secrets from public, anon, authenticated;
grant select on table vault.decrypted_secrets to service_role;

create or replace function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  secret_id uuid;
begin
  insert into vault.secrets (secret, name, description, key_id)
  values (vault._encrypt(new_secret), new_name, coalesce(new_description, ''), new_key_id)
  returning id into secret_id;
  return secret_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update vault.secrets s
  set secret = coalesce(vault._encrypt(new_secret), s.secret),
      name = coalesce(new_name, s.name),
      description = coalesce(new_description, s.description),
      key_id = coalesce(new_key_id, s.key_id),
      updated_at = current_timestamp
  where s.id = secret_id;
end
$$;

revoke all on function vault.create_secret(text, text, text, uuid) from public;
revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
grant execute on function vault.create_secret(text, text, text, uuid) to service_role;
grant execute on function vault.update_secret(uuid, text, text, text, uuid) to service_role;
