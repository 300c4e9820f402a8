-- A rollback can fail too: undoing an index drop builds the index again, concurrently, and that build can
-- time out on a lock. Such a failure is recorded in the finding's history like a failed apply.
alter table optimizer.finding_events drop constraint if exists finding_events_event_check;
alter table optimizer.finding_events add constraint finding_events_event_check
  check (event in ('opened', 'seen', 'reopened', 'resolved', 'applied', 'apply_failed', 'rolled_back',
                   'rollback_failed', 'dismissed'));
