-- A planned refresh or pre-warm is dropped, unsent, when a request reaches the function first: the warmer looks
-- for one in the metric store just before each send (shared/warm/send_pings.ts). The ping keeps its row, with
-- the reason, so the plan stays auditable; it neither counts against the hour's budget nor claims the cold
-- starts it was expected to avoid.
alter table optimizer.warm_pings add column if not exists dropped text;

-- warm_activity() as before, with the dropped pings counted apart.
create or replace function optimizer.warm_activity(since timestamptz)
returns jsonb
language sql
stable
set search_path = ''
begin atomic
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
    'function_name', t.function_name, 'source', t.source, 'enabled', t.enabled,
    'planned', p.planned, 'sent', p.sent, 'dropped', p.dropped, 'found_cold', p.found_cold, 'failed', p.failed,
    'expected_cold_starts_avoided', p.expected, 'last_sent_at', p.last_sent_at,
    'requests', r.requests, 'cold_starts', r.cold_starts
  ) order by t.function_name), '[]'::jsonb)
  from optimizer.warm_targets t
  cross join lateral (
    select count(*) as planned, count(w.sent_at) as sent, count(w.dropped) as dropped,
      count(*) filter (where w.cold_start) as found_cold, count(*) filter (where w.error is not null) as failed,
      coalesce(sum(w.expected_cold_starts_avoided) filter (where w.dropped is null), 0) as expected,
      max(w.sent_at) as last_sent_at
    from optimizer.warm_pings w
    where w.function_name = t.function_name and w.planned_at >= since
  ) p
  cross join lateral (
    select coalesce(sum(m.count), 0) as requests, coalesce(sum(m.cold_starts), 0) as cold_starts
    from optimizer.metric_rollups m
    where m.system = 'edge' and m.target = t.function_name and m.kind = 'request' and m.minute >= since
  ) r;
end;
