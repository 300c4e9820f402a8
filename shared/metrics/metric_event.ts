import { z } from "zod";
import type { AuthMode, AuthResult } from "../http/auth.ts";
import type { OptimizationConfig } from "../config/config.ts";
import { jsonProblem, maxJsonDepth, storableDateTime, storableText } from "../db/pg_input.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../time.ts";
import type { FieldIssue } from "../http/validation.ts";

/**
 * One measured event as callers send it to `POST /functions/v1/metrics`, and who may report what.
 *
 * Reporting policy (decided here, documented in docs/functions.md):
 * - a secret key (or the legacy service_role key) belongs to a server the project owner runs: it may report
 *   events of every system (db, cache, edge, app);
 * - a user's session JWT belongs to the app running in that user's browser or device: it may report only
 *   system 'app', and the stored reporter is `user:<sub>`, so one user's events can be told apart (and
 *   deleted) if that user sends junk;
 * - only a secret key may send `count` > 1 (one event standing for many occurrences): a user's session JWT
 *   could otherwise inflate every count with one small event, past ingest.userEventsPerMinute, which limits
 *   events, not occurrences;
 * - the publishable key may not ingest at all: it ships in every browser bundle, so anyone on the internet
 *   could write to the store with it.
 */

/** The systems an event can be about: Postgres, a cache, an edge function, or the app (browser, device). */
export const metricSystems = ["db", "cache", "edge", "app"] as const;
/** One of metricSystems. */
export type MetricSystem = (typeof metricSystems)[number];

/** Kinds the modules understand; any other kind matching the pattern is stored and charted too. */
export const documentedKinds = [
  "request",
  "query",
  "lookup",
  "warm_ping",
  "eviction",
  "evicted_read",
  "refresh",
  "job",
] as const;

export const maxEventsPerBatch = 1000;
export const maxLatencyMs = HOUR_MS;
/**
 * The most occurrences one event may stand for (`count`): a server's tally of a minute of requests stays far
 * below it, and the bound keeps a rollup row's sums far from bigint overflow. The column's check constraint
 * (migration 20261128000500) holds the same number.
 */
export const maxEventCount = 1_000_000;
/** attrs are for a few labels (region, status, route), not payloads: rollups ignore them. */
export const maxAttrsChars = 2048;
/** Clocks drift; an event further ahead than this is a bug in the sender, not drift. */
export const maxFutureSkewMs = 5 * MINUTE_MS;

/**
 * attrs: labels of JSON values that jsonb can store, at most maxJsonDepth levels deep. Checked by a bounded
 * walk (jsonProblem) rather than z.json(), whose recursion a deeply nested value would overflow.
 */
const AttrsSchema = z.record(
  z.string().max(64, { error: "attrs keys must be at most 64 characters" }),
  z.unknown(),
).check((ctx) => {
  const problem = jsonProblem(ctx.value, maxJsonDepth);
  if (problem) {
    ctx.issues.push({ code: "custom", message: problem.message, path: problem.path, input: ctx.value });
  } else if (JSON.stringify(ctx.value).length > maxAttrsChars) {
    ctx.issues.push({
      code: "custom",
      message: `must serialize to at most ${maxAttrsChars} characters of JSON`,
      input: ctx.value,
    });
  }
});

/** One event after parsing (`error` and `coldStart` filled with false when omitted). */
export interface MetricEvent {
  /** When it happened: an ISO date-time with an offset, e.g. `2025-01-31T12:00:00.000Z`. */
  occurredAt: string;
  /** Which system it is about. */
  system: MetricSystem;
  /** What it is about within the system, e.g. a function's name or a statement's queryid (1 to 200 chars). */
  target: string;
  /** What happened: lowercase letters, digits and _ (see documentedKinds for the ones the modules read). */
  kind: string;
  /** How long it took, in milliseconds (0 to one hour). */
  latencyMs?: number;
  /** Whether it failed. */
  error: boolean;
  /** Whether it was the first request of a fresh isolate. */
  coldStart: boolean;
  /** For cache lookups: whether the lookup hit. */
  cache?: "hit" | "miss";
  /** A few labels (region, status, route); rollups ignore them. */
  attrs?: Record<string, unknown>;
  /**
   * How many occurrences of this kind the event stands for (e.g. a minute's count of rejected requests):
   * rollups count it `count` times, with latencyMs the mean of the occurrences. Absent means 1 (optional
   * rather than defaulted, so that events built in code, not parsed, need not spell it out).
   */
  count?: number;
}

/** An event as a caller may write it: `error` and `coldStart` may be left out. */
export type MetricEventInput = Omit<MetricEvent, "error" | "coldStart"> & {
  error?: boolean;
  coldStart?: boolean;
};

/** The body of `POST /functions/v1/metrics` after parsing. */
export interface MetricBatch {
  /**
   * Idempotency key: a batch whose id this reporter sent before (within the raw-event retention) is
   * acknowledged and not stored again, so a retry after a lost response counts once. Send a fresh random id
   * (a UUID) per batch and the same one on each retry of it.
   */
  batchId?: string;
  /** 1 to maxEventsPerBatch events. */
  events: MetricEvent[];
}

/** The body of `POST /functions/v1/metrics` as a caller may write it. */
export interface MetricBatchInput {
  /** See MetricBatch.batchId. */
  batchId?: string;
  /** 1 to maxEventsPerBatch events. */
  events: MetricEventInput[];
}

/** Validates one event as sent; every message names the rule the field broke. */
export const MetricEventSchema: z.ZodType<MetricEvent, MetricEventInput> = z.strictObject({
  occurredAt: storableDateTime("2025-01-31T12:00:00.000Z"),
  system: z.enum(metricSystems, { error: `must be one of ${metricSystems.join(", ")}` }),
  target: z.string().min(1, { error: "must not be empty" }).max(200, {
    error: "must be at most 200 characters",
  }).check(storableText),
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, {
    error: "must be lowercase letters, digits and _, starting with a letter, at most 40 characters " +
      `(documented kinds: ${documentedKinds.join(", ")})`,
  }),
  latencyMs: z.number({ error: "must be a number of milliseconds" })
    .min(0, { error: "must be >= 0" })
    .max(maxLatencyMs, { error: `must be <= ${maxLatencyMs} (one hour)` })
    .optional(),
  error: z.boolean().default(false),
  coldStart: z.boolean().default(false),
  cache: z.enum(["hit", "miss"], {
    error: "must be hit or miss (omit it for events that are not cache lookups)",
  })
    .optional(),
  attrs: AttrsSchema.optional(),
  count: z.int({ error: "must be a whole number of occurrences" })
    .min(1, { error: "must be >= 1" })
    .max(maxEventCount, { error: `must be <= ${maxEventCount}: split the count over several events` })
    .optional(),
});

/** Validates the body of `POST /functions/v1/metrics`: 1 to maxEventsPerBatch events and an optional batchId. */
export const MetricBatchSchema: z.ZodType<MetricBatch, MetricBatchInput> = z.strictObject({
  batchId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, {
    error: "must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (e.g. a UUID)",
  }).optional(),
  events: z.array(MetricEventSchema)
    .min(1, { error: "must hold at least one event" })
    .max(maxEventsPerBatch, { error: `must hold at most ${maxEventsPerBatch} events: split the batch` }),
});

/**
 * Events dated before the raw-event retention window would be deleted at once (and their minute may already be
 * rolled up and pruned); events far in the future would sit in a partition that does not exist yet.
 * windowMinutes, when given, is a tighter bound on age (users report only what just happened, see
 * ingestLimits()). Returns one issue per rejected event; an empty list means all are acceptable.
 */
export function checkEventTimes(
  events: readonly Pick<MetricEvent, "occurredAt">[],
  now: Date,
  retentionDays: number,
  windowMinutes: number | null = null,
): FieldIssue[] {
  if (!(Number.isInteger(retentionDays) && retentionDays >= 1)) {
    throw new RangeError(`retentionDays must be a whole number >= 1: got ${retentionDays}`);
  }
  if (windowMinutes !== null && !(Number.isInteger(windowMinutes) && windowMinutes >= 1)) {
    throw new RangeError(`windowMinutes must be a whole number >= 1 or null: got ${windowMinutes}`);
  }
  const retentionStart = now.getTime() - retentionDays * DAY_MS;
  const windowStart = windowMinutes === null ? -Infinity : now.getTime() - windowMinutes * MINUTE_MS;
  const oldest = Math.max(retentionStart, windowStart);
  const newest = now.getTime() + maxFutureSkewMs;
  const issues: FieldIssue[] = [];
  events.forEach((event, i) => {
    const at = Date.parse(event.occurredAt);
    if (at < oldest) {
      issues.push({
        path: `events[${i}].occurredAt`,
        message: (windowStart > retentionStart
          ? `is older than the ${windowMinutes} minutes a user may report back (ingest.userWindowMinutes)`
          : `is older than the ${retentionDays}-day retention`) +
          `: must be after ${new Date(oldest).toISOString()}`,
      });
    } else if (at > newest) {
      issues.push({
        path: `events[${i}].occurredAt`,
        message: `is more than 5 minutes in the future: must be before ${new Date(newest).toISOString()} ` +
          "(check the sender's clock)",
      });
    }
  });
  return issues;
}

/** The row shape optimizer.ingest_metric_events(events jsonb, reporter text) takes. */
export interface MetricStorageRow {
  /** MetricEvent.occurredAt: an ISO date-time. */
  occurred_at: string;
  /** MetricEvent.system. */
  system: MetricSystem;
  /** MetricEvent.target. */
  target: string;
  /** MetricEvent.kind. */
  kind: string;
  /** MetricEvent.latencyMs in milliseconds; null when the event has none. */
  latency_ms: number | null;
  /** MetricEvent.error. */
  error: boolean;
  /** MetricEvent.coldStart. */
  cold_start: boolean;
  /** MetricEvent.cache; null for events that are not cache lookups. */
  cache: "hit" | "miss" | null;
  /** MetricEvent.attrs; `{}` when the event has none. */
  attrs: Record<string, unknown>;
  /** The event's `count`: the occurrences it stands for. */
  weight: number;
}

/** Events in the row shape of the store (MetricStorageRow), in the same order. */
export function toStorageRows(events: readonly MetricEvent[]): MetricStorageRow[] {
  return events.map((event) => ({
    occurred_at: event.occurredAt,
    system: event.system,
    target: event.target,
    kind: event.kind,
    latency_ms: event.latencyMs ?? null,
    error: event.error,
    cold_start: event.coldStart,
    cache: event.cache ?? null,
    attrs: event.attrs ?? {},
    weight: event.count ?? 1,
  }));
}

/** The systems a caller authenticated as `mode` may report (see the policy at the top of this file). */
export function allowedSystems(mode: AuthMode): readonly MetricSystem[] {
  switch (mode) {
    case "secret":
      return metricSystems;
    case "user":
      return ["app"];
    case "publishable":
      return [];
  }
}

/** One issue per event whose system the caller may not report. */
export function checkEventSystems(
  events: readonly Pick<MetricEvent, "system">[],
  mode: AuthMode,
): FieldIssue[] {
  const allowed = allowedSystems(mode);
  const issues: FieldIssue[] = [];
  events.forEach((event, i) => {
    if (!allowed.includes(event.system)) {
      issues.push({
        path: `events[${i}].system`,
        message: allowed.length === 0
          ? `a ${mode} key may not report events: use a secret key on a server, or a user's session JWT for 'app'`
          : `a ${mode} credential may report only ${
            allowed.map((s) => `'${s}'`).join(", ")
          }: got '${event.system}'`,
      });
    }
  });
  return issues;
}

/**
 * One issue per event whose `count` the caller may not send: only a secret key may weight events (see the
 * policy at the top of this file), so a user's JWT cannot make one event count as many.
 */
export function checkEventCounts(
  events: readonly Pick<MetricEvent, "count">[],
  mode: AuthMode,
): FieldIssue[] {
  if (mode === "secret") return [];
  const issues: FieldIssue[] = [];
  events.forEach((event, i) => {
    if (event.count !== undefined && event.count > 1) {
      issues.push({
        path: `events[${i}].count`,
        message: `a ${mode} credential may not send count > 1 (only a secret key may): got ${event.count}`,
      });
    }
  });
  return issues;
}

/** The `ingest` settings of OptimizationConfig (shared/config/config.ts). */
export type IngestSettings = OptimizationConfig["ingest"];

/**
 * ingestLimits()' verdict: `refused` says why a caller may not report at all; otherwise how many minutes back
 * it may date events and how many it may send per minute (null: no limit beyond retention).
 */
export type IngestLimits =
  | { refused: string }
  | { refused: null; windowMinutes: number | null; eventsPerMinute: number | null };

/**
 * How far back and how fast `auth` may report. Secret keys belong to the project owner's servers: no limit
 * beyond retention. Users are held to the ingest settings; anonymous sign-ins (`is_anonymous` in the JWT,
 * which Supabase Auth sets for them) are refused unless allowAnonymous.
 */
export function ingestLimits(auth: AuthResult, settings: IngestSettings): IngestLimits {
  if (auth.mode !== "user") return { refused: null, windowMinutes: null, eventsPerMinute: null };
  if (auth.claims?.is_anonymous === true && !settings.allowAnonymous) {
    return {
      refused: "anonymous sign-ins may not report events: sign the user in, or set ingest.allowAnonymous",
    };
  }
  return {
    refused: null,
    windowMinutes: settings.userWindowMinutes,
    eventsPerMinute: settings.userEventsPerMinute,
  };
}

/** What the reporter column records: who sent the events, without the credential itself. */
export function reporterOf(auth: AuthResult): string {
  if (auth.mode === "user") return `user:${auth.userId}`;
  return `${auth.mode}:${auth.keyName ?? "unknown"}`;
}
