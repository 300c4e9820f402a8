import type postgres from "postgres";
import type { Sql } from "../db/client.ts";
import type { Finding, FindingSystem, Severity } from "../finding/finding.ts";
import type { AnalyzersOutcome } from "./run.ts";
import { type FindingStatus, mergeFindings, type MergeOutcome, type StoredFindingState } from "./merge.ts";
import { concurrentBuild, type DropIndexPlan, type IndexPlan } from "./apply_plan.ts";
import { isDatabaseUnavailable } from "../db/database_unavailable.ts";
import { finishRun, type RunLog, startRun } from "../db/run_log.ts";

/**
 * Postgres adapter of the recommendations module: optimizer.findings and optimizer.finding_events (migration
 * 20261128002000), the run log (optimizer.runs, module 'recommendations') and concurrent index builds.
 */

/** What undoes an applied action. */
export type Rollback =
  | { kind: "sql"; sql: string }
  | { kind: "config"; patch: Record<string, unknown> };

/** A stored finding. */
export interface StoredFinding {
  /** Its id in optimizer.findings (a bigint, as text). */
  id: string;
  /** Its status. */
  status: FindingStatus;
  /** The analyzer that reports it. */
  analyzer: string;
  /** When it was first reported. */
  firstSeen: string;
  /** When it was last reported. */
  lastSeen: string;
  /** When its status last changed. */
  statusChangedAt: string;
  /** Who dismissed it and why; null unless dismissed. */
  dismissed: { by: string; reason: string } | null;
  /** Who applied it, when, and what undoes it; null unless applied. */
  applied: { by: string; at: string; rollback: Rollback } | null;
  /** The Finding as last reported. */
  finding: Finding;
}

/** One entry of a finding's history. */
export interface FindingEvent {
  /**
   * What happened: opened, seen, reopened, resolved, applied, apply_failed, rolled_back, rollback_failed or
   * dismissed.
   */
  event: string;
  /** When. */
  at: string;
  /** Who: `secret:<key name>`, `user:<sub>` or `run:<run id>`. */
  actor: string;
  /** What was done (the statement, the failure, the reason). */
  detail: Record<string, unknown>;
}

/** Filters of list(); absent means all. */
export interface FindingFilter {
  /** Only this system. */
  system?: FindingSystem;
  /** Only this severity. */
  severity?: Severity;
  /** Only this status. */
  status?: FindingStatus;
  /** At most this many, most severe and most recently seen first. */
  limit: number;
}

/** How a concurrent index build or drop ended: on success, the statement that undoes it. */
export type IndexDdlOutcome =
  | { ok: true; rollbackSql: string }
  | {
    ok: false;
    /** Postgres' error, e.g. `could not create unique index …`, or why the suite would not run it. */
    reason: string;
    /**
     * Its SQLSTATE: 55P03 lock_not_available for the lock timeout; for a drop the suite refuses, 42704 (no
     * such index) or 2BP01 (the index enforces something).
     */
    code: string | null;
    /** The invalid index the failed build or drop left, and whether it was dropped; null when it left none. */
    leftover: Leftover | null;
  };

/** An invalid index a failed concurrent build or drop left behind. */
export interface Leftover {
  /** Its schema-qualified name. */
  index: string;
  /** Whether it was dropped. */
  dropped: boolean;
  /** Why it could not be dropped, with the statement to run; null when it was. */
  error: string | null;
}

/** The recommendations module's SQL interface. */
export interface RecommendationStore extends RunLog {
  /** Stored findings matching `filter`. */
  list(filter: FindingFilter): Promise<StoredFinding[]>;
  /** One stored finding, or null. */
  get(id: string): Promise<StoredFinding | null>;
  /** A finding's history, oldest first. */
  events(id: string): Promise<FindingEvent[]>;
  /**
   * Merges a run's outcome into the stored findings (merge.ts) in one transaction, under a lock that
   * serialises concurrent runs, and records each transition as an event of `actor`. `seen` events, one per
   * finding and run, are kept `seenEventDays` (retention.runDays, as long as the runs they record); the
   * other events are kept as long as their finding.
   */
  merge(
    outcome: AnalyzersOutcome,
    now: Date,
    actor: string,
    seenEventDays: number,
  ): Promise<MergeOutcome["counts"]>;
  /** Marks a finding applied unless it already is; false when it already was. */
  markApplied(
    id: string,
    actor: string,
    rollback: Rollback,
    detail: Record<string, unknown>,
  ): Promise<boolean>;
  /** Marks an applied finding open again after its rollback ran; false when it was not applied. */
  markRolledBack(id: string, actor: string, detail: Record<string, unknown>): Promise<boolean>;
  /** Records an event without changing the finding (e.g. a failed apply). */
  recordEvent(id: string, event: string, actor: string, detail: Record<string, unknown>): Promise<void>;
  /** Marks a finding dismissed with who and why. */
  dismiss(id: string, actor: string, reason: string): Promise<void>;
  /**
   * Builds an index concurrently, outside a transaction, with the ddl client's lock_timeout and
   * statement_timeout; drops the invalid index a failed build leaves. Refuses a name already taken.
   */
  buildIndex(plan: IndexPlan): Promise<IndexDdlOutcome>;
  /**
   * Drops an index concurrently, outside a transaction, with the ddl client's lock_timeout, unless it
   * enforces something (primary key, unique, constraint, replica identity); the rollback builds it again from
   * its definition as read just before.
   */
  dropIndex(plan: DropIndexPlan): Promise<IndexDdlOutcome>;
  /** Runs a stored SQL rollback (a `drop index concurrently`) outside a transaction. */
  runRollbackSql(statement: string): Promise<void>;
}

interface FindingRow {
  id: string;
  status: FindingStatus;
  analyzer: string;
  first_seen: Date;
  last_seen: Date;
  status_changed_at: Date;
  dismissed_by: string | null;
  dismissed_reason: string | null;
  applied_by: string | null;
  applied_at: Date | null;
  applied_rollback: Rollback | null;
  finding: Finding;
}

function fromRow(row: FindingRow): StoredFinding {
  return {
    id: String(row.id),
    status: row.status,
    analyzer: row.analyzer,
    firstSeen: row.first_seen.toISOString(),
    lastSeen: row.last_seen.toISOString(),
    statusChangedAt: row.status_changed_at.toISOString(),
    dismissed: row.status === "dismissed"
      ? { by: row.dismissed_by ?? "", reason: row.dismissed_reason ?? "" }
      : null,
    applied: row.status === "applied" && row.applied_rollback
      ? { by: row.applied_by ?? "", at: row.applied_at!.toISOString(), rollback: row.applied_rollback }
      : null,
    finding: row.finding,
  };
}

const json = (sql: Pick<Sql, "json">, value: unknown) => sql.json(value as postgres.JSONValue);

/**
 * Serialises merges of concurrent runs: an advisory lock key beside the metric store's 8061130001 and
 * 8061130002 (migration 20261126000000), listed with them in migration 20261128002000.
 */
const mergeLockKey = 8061130003;

/**
 * The store over `sql`. `ddl` runs index builds and their rollbacks: a client whose statements are never
 * wrapped in a transaction (each is its own), as `create index concurrently` requires, and whose sessions
 * carry lock_timeout and statement_timeout (createSql's lockTimeoutMs and statementTimeoutMs), so that a
 * build waiting for a lock gives up instead of queueing the table's writers behind it.
 */
export function createRecommendationStore(sql: Sql, ddl: Sql = sql): RecommendationStore {
  const select = sql`
    select id, status, analyzer, first_seen, last_seen, status_changed_at, dismissed_by, dismissed_reason,
           applied_by, applied_at, applied_rollback, finding
    from optimizer.findings`;

  async function event(id: string, name: string, actor: string, detail: Record<string, unknown>) {
    await sql`
      insert into optimizer.finding_events (finding_id, event, at, actor, detail)
      values (${id}, ${name}, now(), ${actor}, ${json(sql, detail)})`;
  }

  /**
   * Why a build or drop failed. Without a connection nothing can be checked or dropped: that is rethrown, and
   * the caller answers 503 and retries; statement_timeout (57014) is the statement's own failure.
   */
  function ddlFailure(error: unknown): { reason: string; code: string | null } {
    const failure = error as { message?: string; code?: string };
    if (isDatabaseUnavailable(error) && failure.code !== "57014") throw error;
    return { reason: failure.message ?? String(error), code: failure.code ?? null };
  }

  /** Drops an invalid index; the drop waits for the same transactions the build did, within lock_timeout. */
  async function dropLeftover(qualified: string): Promise<Leftover> {
    try {
      await ddl.unsafe(`drop index concurrently if exists ${qualified}`);
      return { index: qualified, dropped: true, error: null };
    } catch (error) {
      return {
        index: qualified,
        dropped: false,
        error: `could not drop the invalid index ${qualified} (${(error as Error).message}): ` +
          `run \`drop index concurrently if exists ${qualified}\` once the table's long transactions end`,
      };
    }
  }

  async function indexState(plan: IndexPlan): Promise<{ valid: boolean; qualified: string } | null> {
    const [row] = await ddl<{ valid: boolean; qualified: string }[]>`
      select i.indisvalid as valid, pg_catalog.format('%I.%I', n.nspname, c.relname) as qualified
      from pg_catalog.pg_index i
      join pg_catalog.pg_class c on c.oid = i.indexrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where i.indrelid = pg_catalog.to_regclass(${plan.table}) and c.relname = ${plan.indexName}`;
    return row ?? null;
  }

  return {
    async list(filter) {
      const rows = await sql<FindingRow[]>`
        ${select}
        where (${filter.system ?? null}::text is null or system = ${filter.system ?? null})
          and (${filter.severity ?? null}::text is null or severity = ${filter.severity ?? null})
          and (${filter.status ?? null}::text is null or status = ${filter.status ?? null})
        order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end, last_seen desc, id
        limit ${filter.limit}`;
      return rows.map(fromRow);
    },
    async get(id) {
      const [row] = await sql<FindingRow[]>`${select} where id = ${id}`;
      return row ? fromRow(row) : null;
    },
    async events(id) {
      const rows = await sql<{ event: string; at: Date; actor: string; detail: Record<string, unknown> }[]>`
        select event, at, actor, detail from optimizer.finding_events where finding_id = ${id} order by id`;
      return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
    },
    startRun: (trigger, now) => startRun(sql, "recommendations", trigger, now),
    finishRun: (id, status, summary, error) => finishRun(sql, id, status, summary, error),
    async merge(outcome, now, actor, seenEventDays) {
      return await sql.begin(async (tx) => {
        await tx`select pg_catalog.pg_advisory_xact_lock(${mergeLockKey})`;
        const stored = await tx<StoredFindingState[]>`
          select fingerprint, analyzer, status from optimizer.findings`;
        const { transitions, counts } = mergeFindings(stored, outcome.reported, outcome.complete);
        const reported = transitions.flatMap((t) =>
          t.kind === "resolved" ? [] : [{
            event: t.kind,
            analyzer: t.analyzer,
            fingerprint: t.finding.fingerprint,
            // opened and reopened findings become open; one seen again keeps its status
            status: t.kind === "seen" ? null : "open",
            finding: t.finding,
          }]
        );
        const resolved = transitions.flatMap((t) => t.kind === "resolved" ? [t.fingerprint] : []);
        await tx`
          with input as (
            select * from pg_catalog.jsonb_to_recordset(${json(tx, reported)}::jsonb)
              as x(event text, analyzer text, fingerprint text, status text, finding jsonb)
          ),
          written as (
            insert into optimizer.findings as f (fingerprint, analyzer, rule, system, subject, severity, finding,
              status, first_seen, last_seen, status_changed_at)
            select i.fingerprint, i.analyzer, i.finding ->> 'rule', i.finding ->> 'system', i.finding ->> 'subject',
                   i.finding ->> 'severity', i.finding, 'open', ${now}, ${now}, ${now}
            from input i
            on conflict (fingerprint) do update set
              analyzer = excluded.analyzer, severity = excluded.severity, finding = excluded.finding,
              last_seen = excluded.last_seen,
              status = coalesce((select i.status from input i where i.fingerprint = f.fingerprint), f.status),
              status_changed_at = case
                when (select i.status from input i where i.fingerprint = f.fingerprint) is null
                  then f.status_changed_at
                else excluded.status_changed_at end
            returning f.id, f.fingerprint
          )
          insert into optimizer.finding_events (finding_id, event, at, actor)
          select w.id, i.event, ${now}, ${actor} from written w join input i on i.fingerprint = w.fingerprint`;
        await tx`
          with resolved as (
            update optimizer.findings f set status = 'resolved', status_changed_at = ${now}
            where f.fingerprint = any(${resolved}::text[]) and f.status = 'open'
            returning f.id
          )
          insert into optimizer.finding_events (finding_id, event, at, actor)
          select r.id, 'resolved', ${now}, ${actor} from resolved r`;
        await tx`
          delete from optimizer.finding_events e
          where e.event = 'seen' and e.at < ${now}::timestamptz - pg_catalog.make_interval(days => ${seenEventDays})`;
        return counts;
      });
    },
    async markApplied(id, actor, rollback, detail) {
      const rows = await sql`
        update optimizer.findings set status = 'applied', status_changed_at = now(), applied_by = ${actor},
          applied_at = now(), applied_rollback = ${json(sql, rollback)}
        where id = ${id} and status <> 'applied'
        returning id`;
      if (rows.length === 0) return false;
      await event(id, "applied", actor, { ...detail, rollback });
      return true;
    },
    async markRolledBack(id, actor, detail) {
      const rows = await sql`
        update optimizer.findings set status = 'open', status_changed_at = now(), applied_by = null,
          applied_at = null, applied_rollback = null
        where id = ${id} and status = 'applied'
        returning id`;
      if (rows.length === 0) return false;
      await event(id, "rolled_back", actor, detail);
      return true;
    },
    recordEvent: event,
    async dismiss(id, actor, reason) {
      await sql`
        update optimizer.findings set status = 'dismissed', status_changed_at = now(), dismissed_by = ${actor},
          dismissed_reason = ${reason}
        where id = ${id}`;
      await event(id, "dismissed", actor, { reason });
    },
    async buildIndex(plan) {
      const existing = await indexState(plan);
      if (existing?.valid) {
        // `if not exists` would succeed without building anything, and the rollback would drop an index
        // the suite did not make.
        return {
          ok: false,
          reason: `an index named ${existing.qualified} already exists on ${plan.table}: rename the new one`,
          code: "42P07",
          leftover: null,
        };
      }
      if (existing) {
        // The invalid leftover of an earlier failed build of this index: it goes before the new build.
        const leftover = await dropLeftover(existing.qualified);
        if (!leftover.dropped) {
          return { ok: false, reason: leftover.error ?? "", code: "55P03", leftover };
        }
      }
      try {
        await ddl.unsafe(plan.statement);
      } catch (error) {
        const failure = ddlFailure(error);
        // A failed concurrent build leaves its index behind, invalid (ignored by queries, yet maintained
        // on every write): drop it, concurrently too.
        const left = await indexState(plan);
        return {
          ok: false,
          ...failure,
          leftover: left && !left.valid ? await dropLeftover(left.qualified) : null,
        };
      }
      const built = await indexState(plan);
      if (!built) throw new Error(`index ${plan.indexName} on ${plan.table} is missing after its build`);
      return { ok: true, rollbackSql: `drop index concurrently if exists ${built.qualified}` };
    },
    async dropIndex(plan) {
      const [index] = await ddl<
        { qualified: string; definition: string; enforces: string | null; valid: boolean }[]
      >`
        select pg_catalog.format('%I.%I', n.nspname, c.relname) as qualified,
               pg_catalog.pg_get_indexdef(i.indexrelid) as definition, i.indisvalid as valid,
               case when i.indisprimary then 'it is the primary key'
                    when con.conname is not null then 'it backs constraint ' || con.conname
                    when i.indisunique then 'it is unique'
                    when i.indisreplident then 'it is the table''s replica identity'
               end as enforces
        from pg_catalog.pg_index i
        join pg_catalog.pg_class c on c.oid = i.indexrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        left join pg_catalog.pg_constraint con on con.conindid = i.indexrelid and con.contype in ('p', 'u', 'x')
        where i.indexrelid = pg_catalog.to_regclass(${plan.index})`;
      if (!index) {
        return {
          ok: false,
          reason: `there is no index ${plan.index}: it was dropped or renamed since it was reported`,
          code: "42704",
          leftover: null,
        };
      }
      if (index.enforces !== null) {
        return {
          ok: false,
          reason: `${index.qualified} is not dropped: ${index.enforces}, and dropping it would change what ` +
            "the table accepts",
          code: "2BP01",
          leftover: null,
        };
      }
      // pg_get_indexdef() of an index that is not unique always reads `CREATE INDEX …`
      const rollbackSql = concurrentBuild(index.definition);
      if (rollbackSql === null) {
        throw new Error(`unexpected definition of ${index.qualified}: ${index.definition}`);
      }
      try {
        await ddl.unsafe(plan.statement);
      } catch (error) {
        const failure = ddlFailure(error);
        // An interrupted concurrent drop can leave the index invalid (no longer used by queries, yet still
        // maintained by writes): say so rather than leave it unnoticed.
        const [left] = await ddl<{ valid: boolean }[]>`
          select i.indisvalid as valid from pg_catalog.pg_index i
          where i.indexrelid = pg_catalog.to_regclass(${plan.index})`;
        return {
          ok: false,
          ...failure,
          leftover: left && index.valid && !left.valid
            ? {
              index: index.qualified,
              dropped: false,
              error: `the interrupted drop left ${index.qualified} invalid: apply again, or run ` +
                `\`${plan.statement}\`, once the table's long transactions end`,
            }
            : null,
        };
      }
      return { ok: true, rollbackSql };
    },
    async runRollbackSql(statement) {
      await ddl.unsafe(statement);
    },
  };
}
