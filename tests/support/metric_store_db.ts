/**
 * Helpers of the SQL-level metric store tests: connections to the stack's database and event batches for
 * targets no other test (or earlier run on the same database) uses.
 */
import postgres from "postgres";
import { stackEnv } from "./env.ts";
import type { MetricStorageRow } from "../../shared/metrics/metric_event.ts";
import { parseConfig } from "../../shared/config/config.ts";
import type { AnalysisContext } from "../../shared/recommendations/analyzer.ts";
import type { Finding } from "../../shared/finding/finding.ts";
import { MINUTE_MS } from "../../shared/time.ts";

export type Sql = postgres.Sql;

/** A connection of its own (max 1), so that tests can run statements side by side on several. */
export function connect(): Sql {
  return postgres(stackEnv().dbUrl, { prepare: false, max: 1, onnotice: () => {} });
}

/**
 * Cumulative statistics are flushed by a backend when it goes idle, at most once a second unless forced:
 * this forces the flush of this session's counts so that the next snapshot sees them.
 */
export async function flushStats(sql: Sql): Promise<void> {
  await sql`select pg_catalog.pg_stat_force_next_flush()`;
  await sql`select 1`;
}

/** Writes `finding` straight into optimizer.findings as an open finding of `analyzer`; returns its id. */
export async function storeFinding(sql: Sql, analyzer: string, finding: Finding): Promise<string> {
  const [row] = await sql`
    insert into optimizer.findings (
      fingerprint, analyzer, rule, system, subject, severity, finding, first_seen, last_seen, status_changed_at
    ) values (
      ${finding.fingerprint}, ${analyzer}, ${finding.rule}, ${finding.system}, ${finding.subject},
      ${finding.severity}, ${sql.json(JSON.parse(JSON.stringify(finding)))}, now(), now(), now()
    )
    returning id`;
  return String(row.id);
}

/** Runs `body` with a fresh connection and closes it afterwards (Deno's sanitizers want no open sockets). */
export async function withSql<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connect();
  try {
    return await body(sql);
  } finally {
    await sql.end();
  }
}

/**
 * The context of an analyzer run at `now` (epoch ms) with the default config, over the 30 minutes before it
 * and the minute after (so the current minute's rollup is read); the deadline a minute after `now` unless given.
 */
export function recentContext(sql: Sql, now: number, deadline = now + 60_000): AnalysisContext {
  return {
    sql,
    now: new Date(now),
    config: parseConfig({}),
    window: { from: new Date(now - 30 * MINUTE_MS), to: new Date(now + MINUTE_MS) },
    deadline,
  };
}

export function uniqueTarget(label: string): string {
  return `test-${label}-${crypto.randomUUID()}`;
}

/** Events in the shape optimizer.ingest_metric_events() takes. */
export type TestEvent = MetricStorageRow;

export function event(target: string, overrides: Partial<TestEvent> = {}): TestEvent {
  return {
    occurred_at: new Date().toISOString(),
    system: "edge",
    target,
    kind: "request",
    latency_ms: 10,
    error: false,
    cold_start: false,
    cache: null,
    attrs: {},
    weight: 1,
    ...overrides,
  };
}

export async function ingest(sql: Sql, events: TestEvent[], reporter = "integration-test"): Promise<number> {
  // sql.json: a JSON.stringify-ed string parameter would be encoded again and arrive as a jsonb string
  const [{ inserted }] = await sql`
    select optimizer.ingest_metric_events(${
    sql.json(events as unknown as postgres.JSONValue)
  }::jsonb, ${reporter})
      as inserted`;
  return Number(inserted);
}

export async function rollup(sql: Sql): Promise<Record<string, unknown>> {
  const [{ summary }] = await sql`select optimizer.rollup_metrics('manual') as summary`;
  return summary;
}

export interface SeriesTotals {
  count: number;
  errors: number;
  coldStarts: number;
  hits: number;
  misses: number;
  latencyCount: number;
  histogram: Record<string, number>;
}

/** Totals of optimizer.metric_series for one target over [from, to) in one bucket. */
export async function seriesTotals(sql: Sql, target: string, from: Date, to: Date): Promise<SeriesTotals> {
  const rows = await sql`
    select * from optimizer.metric_series(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz,
      ${`${Math.ceil((to.getTime() - from.getTime()) / 1000)} seconds`}::interval, null, ${target}, null)`;
  const totals: SeriesTotals = {
    count: 0,
    errors: 0,
    coldStarts: 0,
    hits: 0,
    misses: 0,
    latencyCount: 0,
    histogram: {},
  };
  for (const row of rows) {
    totals.count += Number(row.count);
    totals.errors += Number(row.errors);
    totals.coldStarts += Number(row.cold_starts);
    totals.hits += Number(row.hits);
    totals.misses += Number(row.misses);
    totals.latencyCount += Number(row.latency_count);
    for (const [key, n] of Object.entries(row.histogram as Record<string, number>)) {
      totals.histogram[key] = (totals.histogram[key] ?? 0) + Number(n);
    }
  }
  return totals;
}

/**
 * Runs `body` with `modules.<module>` switched on in the stored config (committed: the functions read it), and
 * takes the switch out again afterwards, so the module is back to its default.
 */
export async function withModuleOn<T>(sql: Sql, module: string, body: () => Promise<T>): Promise<T> {
  await sql`update optimizer.config set value = jsonb_set(value, '{modules}',
             coalesce(value -> 'modules', '{}') || jsonb_build_object(${module}::text, true)) where id`;
  try {
    return await body();
  } finally {
    await sql`update optimizer.config set value = value #- ${["modules", module]}::text[] where id`;
  }
}
