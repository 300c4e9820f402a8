-- Guards of the ingest path: idempotent batches (a retried batch is stored once) and a per-reporter rate
-- limit (signed-in users may not write without bound), both decided in the statement that inserts the events.

-- Batches seen, by reporter: a client's ids can only collide with its own. Kept as long as raw events, so a
-- retry is recognised for as long as the events it would duplicate exist.
create table if not exists optimizer.ingest_batches (
  reporter text not null,
  batch_id text not null,
  accepted integer not null,
  received_at timestamptz not null default now(),
  primary key (reporter, batch_id)
);
alter table optimizer.ingest_batches enable row level security;
create index if not exists ingest_batches_received_at_idx on optimizer.ingest_batches (received_at);

-- Events accepted per reporter and minute (a fixed window). Only the current minute is read; older rows are
-- pruned every hour, so the table holds about one row per reporter active in the last hour.
create table if not exists optimizer.ingest_rate (
  reporter text not null,
  minute timestamptz not null,
  events integer not null,
  primary key (reporter, minute)
);
alter table optimizer.ingest_rate enable row level security;

-- Ingests one batch unless it is a duplicate or over the limit, atomically:
--  * batch_id (optional): the (reporter, batch_id) row is inserted first; a concurrent duplicate waits on
--    its unique key until this transaction ends, then finds it and stores nothing (or, if this one rolled
--    back or was limited, inserts its own), so a batch counts once however retries race;
--  * events_per_minute (optional; null: no limit): the batch is added to this minute's count only if the
--    sum stays within the limit (one upsert, row-locked per reporter and minute); otherwise nothing is stored
--    and retry_after_seconds says when the window resets;
--  * the events go in through optimizer.ingest_metric_events, which holds the shared ingest lock the rollup
--    relies on.
create or replace function optimizer.ingest_metric_batch(
  events jsonb,
  reporter text,
  batch_id text default null,
  events_per_minute integer default null
)
returns table (accepted integer, duplicate boolean, retry_after_seconds integer)
language plpgsql
set search_path = ''
as $$
declare
  batch_size integer := pg_catalog.jsonb_array_length(events);
  window_start timestamptz := pg_catalog.date_trunc('minute', now());
  claimed integer;
  counted integer;
begin
  if batch_id is not null then
    insert into optimizer.ingest_batches as b (reporter, batch_id, accepted)
    values (ingest_metric_batch.reporter, ingest_metric_batch.batch_id, batch_size)
    on conflict on constraint ingest_batches_pkey do nothing;
    get diagnostics claimed = row_count;
    if claimed = 0 then
      return query
        select b.accepted, true, null::integer
        from optimizer.ingest_batches b
        where b.reporter = ingest_metric_batch.reporter and b.batch_id = ingest_metric_batch.batch_id;
      return;
    end if;
  end if;

  if events_per_minute is not null then
    insert into optimizer.ingest_rate as r (reporter, minute, events)
    select ingest_metric_batch.reporter, window_start, batch_size
    where batch_size <= events_per_minute -- a batch larger than the whole limit never fits
    on conflict on constraint ingest_rate_pkey do update set events = r.events + excluded.events
      where r.events + excluded.events <= events_per_minute
    returning r.events into counted;
    if counted is null then
      if batch_id is not null then
        -- a limited batch was not stored: its retry must not be taken for a duplicate
        delete from optimizer.ingest_batches b
        where b.reporter = ingest_metric_batch.reporter and b.batch_id = ingest_metric_batch.batch_id;
      end if;
      return query select 0, false,
        greatest(1, pg_catalog.ceil(extract(epoch from window_start + interval '1 minute' - now())))::integer;
      return;
    end if;
  end if;

  return query select optimizer.ingest_metric_events(events, reporter), false, null::integer;
end;
$$;

-- Deletes batch ids older than the raw-event retention and rate windows older than an hour.
create or replace function optimizer.prune_ingest_guards(now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  raw_days integer := optimizer.retention_days('rawEventsDays', 14);
  batches_deleted bigint;
  rate_rows_deleted bigint;
begin
  delete from optimizer.ingest_batches b where b.received_at < now - pg_catalog.make_interval(days => raw_days);
  get diagnostics batches_deleted = row_count;
  delete from optimizer.ingest_rate r where r.minute < now - interval '1 hour';
  get diagnostics rate_rows_deleted = row_count;
  return pg_catalog.jsonb_build_object('step', 'prune_ingest_guards', 'batches_deleted', batches_deleted,
                                       'rate_rows_deleted', rate_rows_deleted);
end;
$$;

-- Its own job rather than a redefinition of optimizer.apply_retention: two migrations replacing that one
-- function would silently keep only the later one's body.
select cron.schedule('optimizer-ingest-prune', '23 * * * *', 'select optimizer.prune_ingest_guards()');

revoke all on optimizer.ingest_batches, optimizer.ingest_rate from public, anon, authenticated;
revoke all on function optimizer.ingest_metric_batch(jsonb, text, text, integer) from public, anon, authenticated;
revoke all on function optimizer.prune_ingest_guards(timestamptz) from public, anon, authenticated;
grant all on optimizer.ingest_batches, optimizer.ingest_rate to service_role;
grant execute on function optimizer.ingest_metric_batch(jsonb, text, text, integer) to service_role;
grant execute on function optimizer.prune_ingest_guards(timestamptz) to service_role;
