/**
 * The world every scenario runs in: the QuantForge reference data loaded once into the stack and kept as a
 * pristine snapshot, the directory that turns the trace's robot indexes into ids, a session JWT per user,
 * and the trace itself (a seeded day, of which a window is replayed).
 */
import postgres from "postgres";
import { loadReferenceData, snapshotReferenceData, type Variant } from "../reference_app/data/load.ts";
import { planReferenceData, userId } from "../reference_app/data/generate.ts";
import { resolveReferenceDataOptions, type ScaleName } from "../reference_app/data/options.ts";
import { searchTerms } from "../reference_app/data/strategy.ts";
import { mintUserJwt } from "../../scripts/stack/mod.ts";
import { generateTrace, type TraceOptions } from "../trace/generate.ts";
import { sliceTrace } from "../trace/replay.ts";
import type { Trace } from "../trace/trace.ts";
import { DAY_MS } from "../../shared/time.ts";

export interface WorldOptions {
  seed: number;
  scale: ScaleName | number;
  variant: Variant;
  /** The traced day starts here (UTC midnight); the reference data ends at the day's end. */
  dayIso: string;
  /** Length of the replayed window, and of the discovery window before it (what the peers' developer watched). */
  measuredMs: number;
  discoveryMs: number;
  /** The measured window starts no earlier than this (ms since midnight). */
  notBeforeMs: number;
  /** Session requests per minute at the weekday peak (trace time). */
  peakRequestsPerMinute: number;
}

export interface World {
  env: Record<string, string>;
  sql: postgres.Sql;
  options: WorldOptions;
  robotsByUser: string[][];
  jwts: string[];
  day: Trace;
  discovery: Trace;
  measured: Trace;
  windows: Windows;
  load: { counts: Record<string, number>; ms: number };
}

export interface Window {
  fromMs: number;
  toMs: number;
}

export interface Windows {
  discovery: Window;
  measured: Window;
}

/**
 * The measured window is placed so that it holds the first upstream outage after `notBeforeMs` a third of
 * the way in (so outages are measured, with normal traffic before and after), and the discovery window
 * right before it. Without such an outage the windows start at `notBeforeMs`.
 */
export function chooseWindows(
  day: Pick<Trace, "outages" | "durationMs">,
  options: Pick<WorldOptions, "measuredMs" | "discoveryMs" | "notBeforeMs">,
): Windows {
  const { measuredMs, discoveryMs, notBeforeMs } = options;
  const earliest = notBeforeMs + discoveryMs;
  const outage = day.outages.find((o) =>
    o.startMs - measuredMs / 3 >= earliest &&
    o.startMs - measuredMs / 3 + measuredMs <= day.durationMs
  );
  const fromMs = outage ? Math.floor(outage.startMs - measuredMs / 3) : earliest;
  if (fromMs + measuredMs > day.durationMs) {
    throw new Error(`the windows do not fit in the day: start notBeforeMs earlier or shorten them`);
  }
  return {
    discovery: { fromMs: fromMs - discoveryMs, toMs: fromMs },
    measured: { fromMs, toMs: fromMs + measuredMs },
  };
}

/** Active, non-deleted robots per user index, most recently updated first (the trace's robot order). */
async function robotDirectory(sql: postgres.Sql, userIds: string[]): Promise<string[][]> {
  const rows = await sql<{ user_id: string; ids: string[] }[]>`
    select user_id, array_agg(id order by updated_at desc, id) as ids
    from public.robots
    where is_active and deleted_at is null
    group by user_id`;
  const byUser = new Map(rows.map((row) => [row.user_id, row.ids]));
  return userIds.map((id) => byUser.get(id) ?? []);
}

export async function prepareWorld(env: Record<string, string>, options: WorldOptions): Promise<World> {
  const sql = postgres(env.SUPABASE_DB_URL, { prepare: false, max: 2, onnotice: () => {} });
  const dataNow = new Date(Date.parse(options.dayIso) + DAY_MS);
  const started = performance.now();
  const loaded = await loadReferenceData(sql, {
    seed: options.seed,
    scale: options.scale,
    now: dataNow,
    variant: options.variant,
  });
  await snapshotReferenceData(sql);
  const loadMs = performance.now() - started;

  const plan = planReferenceData(
    resolveReferenceDataOptions({ seed: options.seed, scale: options.scale, now: dataNow }),
  );
  const userIds = Array.from({ length: plan.counts.users }, (_, i) => userId(plan, i));
  const robotsByUser = await robotDirectory(sql, userIds);
  if (!env.STACK_JWT_PRIVATE_JWK) {
    throw new Error(
      "STACK_JWT_PRIVATE_JWK is missing: the benchmark signs user sessions with the local stack's key, " +
        "so run it against the stack of `npm start` (or export that variable from .stack/env)",
    );
  }
  const privateJwk = JSON.parse(env.STACK_JWT_PRIVATE_JWK);
  const jwts = await Promise.all(
    userIds.map((sub) =>
      mintUserJwt({ sub, privateJwk, issuer: `${env.SUPABASE_URL}/auth/v1`, expiresInSeconds: 6 * 3600 })
    ),
  );

  const traceOptions: Partial<TraceOptions> = {
    seed: options.seed,
    startIso: options.dayIso,
    durationMs: DAY_MS,
    robotsPerUser: robotsByUser.map((ids) => ids.length),
    peakRequestsPerMinute: options.peakRequestsPerMinute,
    searchTerms,
  };
  const day = generateTrace(traceOptions);
  const windows = chooseWindows(day, options);
  return {
    env,
    sql,
    options,
    robotsByUser,
    jwts,
    day,
    discovery: sliceTrace(day, windows.discovery.fromMs, windows.discovery.toMs),
    measured: sliceTrace(day, windows.measured.fromMs, windows.measured.toMs),
    windows,
    load: { counts: loaded.counts as unknown as Record<string, number>, ms: Math.round(loadMs) },
  };
}
