-- pg_net's SQL interface (Debian has no pg_net package). As with pg_net, nothing is sent inside the calling
-- transaction: the functions queue a row and notify channel stack_net; notifications are delivered on
-- commit, so a rolled-back transaction sends nothing. The stack's net worker (scripts/stack/net_worker.ts)
-- takes queued rows, sends them with fetch and stores the outcome in net._http_response.
create schema if not exists net;
revoke all on schema net from public;
grant usage on schema net to service_role;

create table if not exists net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null default '{}'::jsonb,
  body bytea,
  timeout_milliseconds integer not null
);
alter table net.http_request_queue enable row level security;
revoke all on table net.http_request_queue from public, anon, authenticated;

create unlogged table if not exists net._http_response (
  id bigint primary key,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
alter table net._http_response enable row level security;
revoke all on table net._http_response from public, anon, authenticated;
grant select on table net._http_response to service_role;

-- Percent-encodes one query-string component (RFC 3986 unreserved characters stay as they are).
create or replace function net._urlencode(value text) returns text
language sql immutable strict
set search_path = ''
as $$
  select coalesce(string_agg(
    case
      when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
        then chr(b)
      else '%' || upper(lpad(to_hex(b), 2, '0'))
    end, '' order by i), '')
  from (
    select i, get_byte(convert_to(value, 'UTF8'), i) as b
    from generate_series(0, octet_length(convert_to(value, 'UTF8')) - 1) as i
  ) bytes
$$;

create or replace function net._url_with_params(url text, params jsonb) returns text
language sql immutable
set search_path = ''
as $$
  select case
    when params is null or params = '{}'::jsonb then url
    else url || case when position('?' in url) > 0 then '&' else '?' end || (
      select string_agg(net._urlencode(p.key) || '=' || net._urlencode(p.value), '&')
      from jsonb_each_text(params) as p
    )
  end
$$;

create or replace function net._enqueue(
  method text, url text, headers jsonb, body bytea, timeout_milliseconds integer
) returns bigint
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  request_id bigint;
begin
  if timeout_milliseconds is null or timeout_milliseconds < 1 then
    raise exception 'timeout_milliseconds must be >= 1: got %', timeout_milliseconds;
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (_enqueue.method, _enqueue.url, coalesce(_enqueue.headers, '{}'::jsonb), _enqueue.body,
          _enqueue.timeout_milliseconds)
  returning id into request_id;
  perform pg_notify('stack_net', request_id::text);
  return request_id;
end
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 2000
) returns bigint
language sql volatile
security definer
set search_path = ''
as $$
  select net._enqueue('POST', net._url_with_params(url, params), headers,
                      convert_to(coalesce(body, '{}'::jsonb)::text, 'UTF8'), timeout_milliseconds)
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 2000
) returns bigint
language sql volatile
security definer
set search_path = ''
as $$
  select net._enqueue('GET', net._url_with_params(url, params), headers, null, timeout_milliseconds)
$$;

revoke all on function net._enqueue(text, text, jsonb, bytea, integer) from public;
revoke all on function net.http_post(text, jsonb, jsonb, jsonb, integer) from public;
revoke all on function net.http_get(text, jsonb, jsonb, integer) from public;
grant execute on function net.http_post(text, jsonb, jsonb, jsonb, integer) to service_role;
grant execute on function net.http_get(text, jsonb, jsonb, integer) to service_role;
