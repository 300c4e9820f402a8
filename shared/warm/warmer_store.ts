import { median } from "../correlate/statistics.ts";
import type { Sql } from "../db/client.ts";
import { finishRun, type RunLog, startRun } from "../db/run_log.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../time.ts";
import { arrivalRateDefaults, type MinuteCounts } from "./arrival_rate.ts";
import { IdleGaps } from "./idle_gaps.ts";
import type { WarmPing, WarmTargetInput } from "./plan_warmups.ts";

/**
 * Postgres adapter of the warmer: what it knows of each warm target (optimizer.warm_targets), read from the
 * metric store's per-minute rollups and from its own pings (optimizer.warm_pings), and the record of what it
 * planned and what each ping found. Schema: supabase/migrations/20261128007000_optimizer_warmer.sql.
 */

/** What sending a ping found. */
export interface PingOutcome {
  /** When it was sent. */
  sentAt: Date;
  /** The HTTP status; null when no answer came (timeout, refused). */
  status: number | null;
  /** Whether the worker had just booted (the warm-up answer's `coldStart`); null without an answer. */
  coldStart: boolean | null;
  /** How long ago the worker booted (`workerAgeMs`); null without an answer. */
  workerAgeMs: number | null;
  /** From sending to the whole answer (or the failure). */
  latencyMs: number;
  /** Why the ping failed; null when it succeeded. */
  error: string | null;
}

/** A function the warmer may ping. */
export interface WarmTarget {
  /** Its path under /functions/v1/. */
  functionName: string;
  /** `suite` for the suite's own functions, `app` for the app's. */
  source: "suite" | "app";
  /** Whether the warmer may ping it. */
  enabled: boolean;
  /** When it was registered (ISO 8601). */
  registeredAt: string;
}

/** What the warmer reads and writes; its runs are module `warmer`'s. */
export interface WarmerStore extends RunLog {
  /** Every registered target, enabled or not. */
  listTargets(): Promise<WarmTarget[]>;
  /** Registers an app function (or switches a registered one on or off); returns it. */
  putTarget(functionName: string, enabled: boolean): Promise<WarmTarget>;
  /** Every enabled target with what the warmer knows about it as of `now`. */
  targets(now: Date): Promise<WarmTargetInput[]>;
  /** Pings planned in the hour before `now` and not dropped (the budget's spent part). */
  pingsInLastHour(now: Date): Promise<number>;
  /** Stores the planned pings of run `runId`; returns their ids in order. */
  recordPlan(runId: string, pings: readonly WarmPing[]): Promise<string[]>;
  /** Stores what sending ping `id` found. */
  recordOutcome(id: string, outcome: PingOutcome): Promise<void>;
  /** Stores why ping `id` was not sent. */
  recordDropped(id: string, reason: string): Promise<void>;
  /** The instant of the function's last request stored after `since`; null when none. */
  lastRequestAfter(functionName: string, since: Date): Promise<Date | null>;
}

/** How far back the warmer reads. */
export const warmerHistory = {
  /** Minutes around now (and around the same time on earlier days) that the rate reads. */
  aroundNowMinutes: { before: arrivalRateDefaults.recentMinutes + 1, after: 5 },
  /** Days of minutes with a request whose gaps are counted. */
  gapDays: 7,
  /** At most this many of those minutes, the latest first: enough for a pattern, bounded for busy functions. */
  maxGapMinutes: 2_000,
  /** Pings whose latencies measure a function's cold start. */
  coldStartDays: 7,
  /** Both cold and warm pings must number this many before the difference counts as measured. */
  minPingsPerSide: 3,
};

/** An unsent ping planned up to this long ago may still be on its way (its run's sender is behind). */
const pendingLookBackMs = 10_000;

/**
 * The requests of this last stretch are read with their exact instants: it is longer than the platform's idle
 * timeout (60 s), so the last request that can still hold a worker is among them.
 */
const exactRequestsMs = 2 * MINUTE_MS;

/**
 * An id below every event stored after `since`: the watermark of the last rollup that started by then (every
 * id up to it was committed when it started), or 0 when none did. Rollups record wall-clock time, `since` is on
 * the warmer's clock (shared/clock.ts).
 */
function eventsStoredSince(sql: Sql, since: Date) {
  return sql`coalesce(
    (select (r.summary ->> 'watermark')::bigint from optimizer.runs r
     where r.module = 'monitoring' and r.started_at <= optimizer.real_at(${since})
       and r.summary ->> 'step' = 'rollup'
     order by r.started_at desc limit 1),
    0)`;
}

/** Consecutive failed pings back a target off for 2^n minutes, at most this long. */
const maxBackoffMs = HOUR_MS;

/** Counts read from a sparse set of minutes; minutes not read are 0, as the rollups leave quiet minutes out. */
class SparseMinuteCounts implements MinuteCounts {
  constructor(readonly byMinute: Map<number, number>, readonly firstMinute: number) {}
  count(minute: number): number {
    return this.byMinute.get(minute) ?? 0;
  }
}

function toTarget(
  row: { function_name: string; source: "suite" | "app"; enabled: boolean; registered_at: Date },
): WarmTarget {
  return {
    functionName: row.function_name,
    source: row.source,
    enabled: row.enabled,
    registeredAt: row.registered_at.toISOString(),
  };
}

/** The store over `sql` (the service role's connection). */
export function createWarmerStore(sql: Sql): WarmerStore {
  return {
    startRun: (trigger, now) => startRun(sql, "warmer", trigger, now),
    finishRun: (id, status, summary, error) => finishRun(sql, id, status, summary, error),

    async listTargets() {
      const rows = await sql<
        { function_name: string; source: "suite" | "app"; enabled: boolean; registered_at: Date }[]
      >`
        select t.function_name, t.source, t.enabled, t.registered_at from optimizer.warm_targets t
        order by t.function_name`;
      return rows.map(toTarget);
    },

    async putTarget(functionName, enabled) {
      const [row] = await sql<
        { function_name: string; source: "suite" | "app"; enabled: boolean; registered_at: Date }[]
      >`
        insert into optimizer.warm_targets (function_name, enabled) values (${functionName}, ${enabled})
        on conflict (function_name) do update set enabled = excluded.enabled
        returning function_name, source, enabled, registered_at`;
      return toTarget(row);
    },

    async targets(now) {
      const nowMs = now.getTime();
      const nowMinute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
      const names = (await sql<{ function_name: string }[]>`
        select t.function_name from optimizer.warm_targets t where t.enabled order by t.function_name`)
        .map((row) => row.function_name);
      if (names.length === 0) return [];
      const { before, after } = warmerHistory.aroundNowMinutes;
      // The minutes around now on each of the last days: what ArrivalRates reads, and no more.
      const counts = await sql<{ target: string; minute: Date; count: string }[]>`
        select r.target, r.minute, sum(r.count) as count
        from pg_catalog.generate_series(0, ${arrivalRateDefaults.seasonDays}) d(day)
        join optimizer.metric_rollups r
          on r.system = 'edge' and r.kind = 'request' and r.target = any(${names})
          and r.minute >= ${new Date(nowMinute - before * MINUTE_MS)}::timestamptz - d.day * interval '1 day'
          and r.minute < ${new Date(nowMinute + after * MINUTE_MS)}::timestamptz - d.day * interval '1 day'
        group by r.target, r.minute`;
      // The latest minutes with a request, for the gaps between them and the last request.
      const active = await sql<{ target: string; minute: Date }[]>`
        select x.target, x.minute
        from pg_catalog.unnest(${names}::text[]) n(target)
        cross join lateral (
          select r.target, r.minute from optimizer.metric_rollups r
          where r.system = 'edge' and r.kind = 'request' and r.target = n.target and r.count > 0
            and r.minute >= ${new Date(nowMs - warmerHistory.gapDays * DAY_MS)}
          order by r.minute desc limit ${warmerHistory.maxGapMinutes}
        ) x`;
      // The latest requests from the raw events, whose instants are exact: those of the last minutes (the
      // rollup folds minutes, so the last request's instant would be lost), of which the ones the rollup has
      // not folded yet (up to its one-minute schedule behind) add to the counts. Id ranges keep the scan short.
      const latest = await sql<{ target: string; minute: Date; count: string; last: Date }[]>`
        select e.target, pg_catalog.date_bin('1 minute', e.occurred_at, timestamptz '2000-01-01 00:00:00+00') as minute,
               count(*) filter (where e.id > (select s.last_event_id from optimizer.rollup_state s where s.id)) as count,
               max(e.occurred_at) as last
        from optimizer.metric_events e
        where e.id > ${eventsStoredSince(sql, new Date(nowMs - exactRequestsMs))}
          and e.system = 'edge' and e.kind = 'request' and e.target = any(${names})
          -- the partitions of the minutes the rate reads; a later event (a skewed clock) is not yet
          and e.occurred_at >= ${new Date(nowMinute - before * MINUTE_MS)} and e.occurred_at <= ${now}
        group by e.target, minute`;
      const first = await sql<{ target: string; minute: Date }[]>`
        select r.target, min(r.minute) as minute from optimizer.metric_rollups r
        where r.system = 'edge' and r.kind = 'request' and r.target = any(${names})
          and r.minute >= ${new Date(nowMs - (arrivalRateDefaults.seasonDays + 1) * DAY_MS)}
        group by r.target`;
      const pending = await sql<{ function_name: string; planned_at: Date }[]>`
        select p.function_name, p.planned_at from optimizer.warm_pings p
        where p.function_name = any(${names}) and p.sent_at is null
          -- planned by an earlier run and still to be sent (a ping never sent stays so: look only just back)
          and p.dropped is null and p.planned_at >= ${new Date(nowMs - pendingLookBackMs)}`;
      const pings = await sql<
        {
          function_name: string;
          planned_at: Date;
          sent_at: Date | null;
          cold_start: boolean | null;
          worker_age_ms: string | null;
          latency_ms: number | null;
          error: string | null;
        }[]
      >`
        select p.function_name, p.planned_at, p.sent_at, p.cold_start, p.worker_age_ms, p.latency_ms, p.error
        from optimizer.warm_pings p
        where p.function_name = any(${names}) and p.sent_at is not null
          and p.planned_at >= ${new Date(nowMs - warmerHistory.coldStartDays * DAY_MS)}
        order by p.planned_at desc`;

      // Each query's rows by target, read once.
      const countsOf = Map.groupBy(counts, (row) => row.target);
      const firstOf = new Map(first.map((row) => [row.target, row.minute]));
      const activeOf = Map.groupBy(active, (row) => row.target);
      const latestOf = Map.groupBy(latest, (row) => row.target);
      const pingsOf = Map.groupBy(pings, (row) => row.function_name);
      const pendingOf = Map.groupBy(pending, (row) => row.function_name);
      return names.map((fn): WarmTargetInput => {
        const byMinute = new Map(
          (countsOf.get(fn) ?? []).map((row) => [row.minute.getTime() / MINUTE_MS, Number(row.count)]),
        );
        const recent = latestOf.get(fn) ?? [];
        // A minute the rollup folded in part has the rest of its requests here: the two add up.
        for (const row of recent) {
          if (Number(row.count) === 0) continue;
          const minute = row.minute.getTime() / MINUTE_MS;
          byMinute.set(minute, (byMinute.get(minute) ?? 0) + Number(row.count));
        }
        const firstMinute = Math.min(
          firstOf.get(fn)?.getTime() ?? Infinity,
          ...recent.map((row) => row.minute.getTime()),
        );
        const activeMinutes = [
          ...new Set([...(activeOf.get(fn) ?? []), ...recent].map((row) => row.minute.getTime())),
        ].sort((a, b) => a - b);
        const lastExact = recent.length === 0 ? null : Math.max(...recent.map((row) => row.last.getTime()));
        const gaps = new IdleGaps({ resolutionMs: MINUTE_MS });
        for (let i = 1; i < activeMinutes.length; i++) gaps.add(activeMinutes[i] - activeMinutes[i - 1]);
        const lastActive = activeMinutes.at(-1);
        const own = pingsOf.get(fn) ?? [];
        const lastSent = own[0];
        const answered = own.find((row) => row.worker_age_ms !== null);
        // Back-off: the failures since the last ping that worked.
        let failures = 0;
        while (failures < own.length && own[failures].error !== null) failures++;
        const backedOffUntilMs = failures === 0
          ? null
          : own[0].sent_at!.getTime() + Math.min(maxBackoffMs, 2 ** failures * MINUTE_MS);
        const cold = own.filter((row) => row.cold_start === true && row.latency_ms !== null);
        const warm = own.filter((row) => row.cold_start === false && row.latency_ms !== null);
        const measured = cold.length >= warmerHistory.minPingsPerSide &&
          warm.length >= warmerHistory.minPingsPerSide;
        return {
          fn,
          counts: new SparseMinuteCounts(
            byMinute,
            Number.isFinite(firstMinute) ? firstMinute / MINUTE_MS : Math.floor(nowMs / MINUTE_MS),
          ),
          gaps,
          // a recent request's instant is known, and no older one is later (but for the reporters' batching, a
          // second or so); the rollups know the minute, not the instant, so an older request may have come in
          // its last millisecond (which keeps it in that minute for the gaps, measured between minutes)
          lastRequestMs: lastExact ??
            (lastActive === undefined ? null : Math.min(nowMs, lastActive + MINUTE_MS - 1)),
          lastPingMs: lastSent ? lastSent.sent_at!.getTime() : null,
          // the age was the worker's when it answered, a latency after sending: a ping that booted the worker
          // waited for its boot, so counting from sending would put the boot, and the successor ping planned
          // from it, a cold start early, at the old worker still live
          bootedAtMs: answered
            ? answered.sent_at!.getTime() + (answered.latency_ms ?? 0) - Number(answered.worker_age_ms)
            : null,
          coldStartMs: measured
            ? Math.max(
              0,
              median(cold.map((row) => row.latency_ms!)) - median(warm.map((row) => row.latency_ms!)),
            )
            : null,
          backedOffUntilMs,
          pendingPingsMs: (pendingOf.get(fn) ?? []).map((row) => row.planned_at.getTime()),
        };
      });
    },

    async pingsInLastHour(now) {
      const [{ count }] = await sql<{ count: string }[]>`
        select count(*) as count from optimizer.warm_pings p
        where p.planned_at > ${new Date(now.getTime() - HOUR_MS)} and p.planned_at <= ${now}
          and p.dropped is null`;
      return Number(count);
    },

    async recordPlan(runId, pings) {
      if (pings.length === 0) return [];
      const rows = pings.map((ping) => ({
        run_id: runId,
        function_name: ping.fn,
        kind: ping.kind,
        planned_at: new Date(ping.atMs),
        expected_cold_starts_avoided: ping.expectedColdStartsAvoided,
        expected_saved_ms: ping.expectedSavedMs,
        reason: ping.reason,
      }));
      const inserted = await sql<{ id: string }[]>`
        insert into optimizer.warm_pings ${
        sql(
          rows,
          "run_id",
          "function_name",
          "kind",
          "planned_at",
          "expected_cold_starts_avoided",
          "expected_saved_ms",
          "reason",
        )
      }
        returning id`;
      return inserted.map((row) => String(row.id));
    },

    async recordOutcome(id, outcome) {
      await sql`
        update optimizer.warm_pings set sent_at = ${outcome.sentAt}, status = ${outcome.status},
          cold_start = ${outcome.coldStart}, worker_age_ms = ${outcome.workerAgeMs},
          latency_ms = ${outcome.latencyMs}, error = ${outcome.error}
        where id = ${id}`;
    },

    async recordDropped(id, reason) {
      await sql`update optimizer.warm_pings set dropped = ${reason} where id = ${id}`;
    },

    async lastRequestAfter(functionName, since) {
      const [{ last }] = await sql<{ last: Date | null }[]>`
        select max(e.occurred_at) as last from optimizer.metric_events e
        where e.id > ${eventsStoredSince(sql, since)}
          and e.system = 'edge' and e.kind = 'request' and e.target = ${functionName}
          and e.occurred_at > ${since}`;
      return last;
    },
  };
}
