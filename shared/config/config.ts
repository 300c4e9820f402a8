import { z } from "zod";

/**
 * OptimizationConfig: what the autopilot may do, how often, and within which limits.
 * Every default lives here; `parseConfig({})` yields the complete default config.
 * Objects are strict so that a misspelt key is an error, not a silently ignored setting.
 */

const minutes = (fallback: number) => z.number().int().min(1).max(24 * 60).default(fallback);

/** Which modules run. Modules that change the project or cost money start off; observing ones start on. */
export const ModulesSchema = z.strictObject({
  monitoring: z.boolean().default(true),
  recommendations: z.boolean().default(true),
  predictive: z.boolean().default(true),
  warmer: z.boolean().default(false),
  cache: z.boolean().default(false),
  systemWide: z.boolean().default(false),
});

/** How often each module's periodic work runs, in minutes. */
export const IntervalsSchema = z.strictObject({
  snapshotMinutes: minutes(5),
  recommendationsMinutes: minutes(60),
  predictiveMinutes: minutes(15),
  warmerMinutes: minutes(1),
  cacheMinutes: minutes(5),
  systemWideMinutes: minutes(60),
});

/** Hard ceilings on what the autopilot may spend or create. */
export const LimitsSchema = z.strictObject({
  warmPingsPerHour: z.number().int().min(0).max(100_000).default(120),
  maxIndexesPerTable: z.number().int().min(0).max(64).default(8),
  maxTotalIndexSizeMb: z.number().min(0).default(1024),
  maxRunDurationSeconds: z.number().int().min(1).max(600).default(60),
  cacheSizeBudgetMb: z.number().min(0).max(256).default(64),
});

/** When a measured figure is worth an alert. */
export const AlertsSchema = z.strictObject({
  slowQueryMs: z.number().positive().default(1000),
  p95LatencyMs: z.number().positive().default(1000),
  errorRate: z.number().min(0).max(1).default(0.05),
  coldStartRate: z.number().min(0).max(1).default(0.2),
  minCacheHitRate: z.number().min(0).max(1).default(0.8),
  pipelineStaleMinutes: z.number().int().min(1).default(10),
});

/** How the recommendations judge what they find. */
export const RecommendationsSchema = z.strictObject({
  unusedIndexMinDays: z.number().positive().max(365).default(7),
});

/** How the suite checks the actions it applied against what they were estimated to gain. */
export const VerificationSchema = z.strictObject({
  minCalls: z.number().int().min(1).max(1_000_000).default(20),
  degradationRatio: z.number().positive().max(10).default(0.1),
  rollbackDegraded: z.boolean().default(true),
});

/**
 * How long data is kept. rawEventsDays is also the furthest back an event may be dated when ingested.
 * The SQL retention job reads these keys from optimizer.config and falls back to the same defaults
 * (tests/unit/retention_defaults.test.ts keeps the two in step).
 */
export const RetentionSchema = z.strictObject({
  rawEventsDays: z.number().int().min(1).max(90).default(14),
  rollupDays: z.number().int().min(1).max(730).default(90),
  hourlyRollupDays: z.number().int().min(1).max(3650).default(400),
  snapshotDays: z.number().int().min(1).max(365).default(14),
  runDays: z.number().int().min(1).max(365).default(30),
});

/**
 * What signed-in users (user session JWTs) may report; secret keys are not limited. Users report only system
 * 'app' events (see metric_event.ts).
 */
export const IngestSchema = z.strictObject({
  /** Users report what just happened: events older than this are refused (clock skew and batching fit). */
  userWindowMinutes: z.number().int().min(1).max(60).default(5),
  /**
   * Events one user may report per minute, all their tabs and devices together. 1200 (20 a second) is far
   * above a busy browser tab, which records a few events per user action and sends them in batches of up to
   * 200 (metric_reporter.ts) once a second at most, while bounding one account at 1.7 million rows a day.
   */
  userEventsPerMinute: z.number().int().min(1).max(1_000_000).default(1200),
  /** Anonymous sign-ins (`is_anonymous` in the JWT) cost an attacker nothing to create: off by default. */
  allowAnonymous: z.boolean().default(false),
});

/** The trade-offs a module may favour when it must choose. */
export const priorities = ["performance", "cost", "reliability"] as const;

/**
 * What the autopilot favours when it must choose: `performance` (fewest slow requests and cold starts, more
 * pings and storage), `cost` (fewest pings, bytes and builds) or `reliability`.
 */
export type OptimizationPriority = typeof priorities[number];

/** How the modules trade gains against costs. */
export const OptimizationSchema = z.strictObject({
  priority: z.enum(priorities).default("performance"),
});

/**
 * How the project's edge-function workers live. Hosted Supabase retires a worker 150 s after its boot on the
 * Free plan and 400 s on paid plans, however busy; it publishes no idle timeout, and 60 s is the local
 * gateway's (and the Edge Runtime's self-hosted) default.
 */
export const PlatformSchema = z.strictObject({
  workerLifetimeSeconds: z.number().int().min(1).max(3600).default(150),
  workerIdleTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
});

/** Which modules run (`modules`). Modules that change the project or cost money start off. */
export interface ModulesConfig {
  /** The metric pipeline and database snapshots (default on). */
  monitoring: boolean;
  /** Index and configuration recommendations (default on: read-only). */
  recommendations: boolean;
  /** Demand forecasts (default on: it only observes). */
  predictive: boolean;
  /** Warm-up pings ahead of predicted demand (default off: pings cost invocations). */
  warmer: boolean;
  /** Cache warming and sizing (default off). */
  cache: boolean;
  /** Coordinated, time-bounded optimization runs that apply changes (default off). */
  systemWide: boolean;
}

/** How often each module's periodic work runs, in whole minutes from 1 to 1440 (`intervals`). */
export interface IntervalsConfig {
  /** Database snapshots (default 5). */
  snapshotMinutes: number;
  /** Recommendation runs (default 60). */
  recommendationsMinutes: number;
  /** Forecast runs (default 15). */
  predictiveMinutes: number;
  /** Warm-up planning (default 1). */
  warmerMinutes: number;
  /** Cache maintenance (default 5). */
  cacheMinutes: number;
  /** System-wide optimization runs (default 60). */
  systemWideMinutes: number;
}

/** Hard ceilings on what the autopilot may spend or create (`limits`). */
export interface LimitsConfig {
  /** Warm-up pings per hour over all functions (default 120). */
  warmPingsPerHour: number;
  /** Indexes the suite may leave on one table, existing ones included (default 8). */
  maxIndexesPerTable: number;
  /** Total size of the indexes the suite creates, in MB (default 1024). */
  maxTotalIndexSizeMb: number;
  /** Longest one optimization run may take, in seconds (default 60). */
  maxRunDurationSeconds: number;
  /** Memory the suite's caches may hold per isolate, in MB (default 64). */
  cacheSizeBudgetMb: number;
}

/** When a measured figure is worth an alert (`alerts`). */
export interface AlertsConfig {
  /** A statement slower than this on average, in ms (default 1000). */
  slowQueryMs: number;
  /** A function's p95 latency above this, in ms (default 1000). */
  p95LatencyMs: number;
  /** A share of failed requests above this, 0 to 1 (default 0.05). */
  errorRate: number;
  /** A share of cold starts above this, 0 to 1 (default 0.2). */
  coldStartRate: number;
  /** A cache hit rate below this, 0 to 1 (default 0.8). */
  minCacheHitRate: number;
  /** A pipeline job silent for longer than this, in minutes (default 10). */
  pipelineStaleMinutes: number;
}

/** How the recommendations judge what they find (`recommendations`). */
export interface RecommendationsConfig {
  /**
   * An index is reported unused only after this many days without a scan (default 7): a job that runs
   * weekly must have had its chance. Fractions are allowed (0.5 is 12 hours), for a project whose whole
   * workload is known to run in less, such as a load test.
   */
  unusedIndexMinDays: number;
}

/** How the suite checks the actions it applied (`verification`). */
export interface VerificationConfig {
  /**
   * Calls of the statements an action serves, since it was applied, before its gain is measured (default 20):
   * fewer would measure noise.
   */
  minCalls: number;
  /**
   * An action is degraded when the statements it serves take this much longer per call than before it
   * (default 0.1: 10 %).
   */
  degradationRatio: number;
  /** Whether a degraded action, or an index the planner never used, is rolled back (default true). */
  rollbackDegraded: boolean;
}

/** How long data is kept, in days (`retention`). */
export interface RetentionConfig {
  /** Raw metric events, and the furthest back an event may be dated when ingested (default 14). */
  rawEventsDays: number;
  /** Per-minute and 5-minute rollups (default 90). */
  rollupDays: number;
  /** Hourly rollups (default 400). */
  hourlyRollupDays: number;
  /** Database snapshots (default 14). */
  snapshotDays: number;
  /** Records of optimizer runs (default 30). */
  runDays: number;
}

/** What signed-in users (user session JWTs) may report (`ingest`); secret keys are not limited. */
export interface IngestConfig {
  /** Users report what just happened: events older than this many minutes are refused (default 5). */
  userWindowMinutes: number;
  /** Events one user may report per minute, all their tabs and devices together (default 1200). */
  userEventsPerMinute: number;
  /** Whether anonymous sign-ins (`is_anonymous` in the JWT) may report (default false). */
  allowAnonymous: boolean;
}

/** How the modules trade gains against costs (`optimization`). */
export interface OptimizationSettings {
  /** What to favour when a gain has a cost (default `performance`). */
  priority: OptimizationPriority;
}

/** How the project's edge-function workers live (`platform`). */
export interface PlatformConfig {
  /** A worker is retired this long after its boot, however busy (default 150: Free; 400 on paid plans). */
  workerLifetimeSeconds: number;
  /** A worker serving nothing for this long is retired (default 60). */
  workerIdleTimeoutSeconds: number;
}

/** A complete config, every setting explicit: what parseConfig() returns and the functions work with. */
export interface OptimizationConfig {
  /** Which modules run. */
  modules: ModulesConfig;
  /** How often each module's periodic work runs. */
  intervals: IntervalsConfig;
  /** Hard ceilings on what the autopilot may spend or create. */
  limits: LimitsConfig;
  /** When a measured figure is worth an alert. */
  alerts: AlertsConfig;
  /** How the recommendations judge what they find. */
  recommendations: RecommendationsConfig;
  /** How the suite checks the actions it applied. */
  verification: VerificationConfig;
  /** How long data is kept. */
  retention: RetentionConfig;
  /** What signed-in users may report. */
  ingest: IngestConfig;
  /** How the modules trade gains against costs. */
  optimization: OptimizationSettings;
  /** How the project's edge-function workers live. */
  platform: PlatformConfig;
}

/** A config as stored or submitted: any section or setting may be left out to take its default. */
export type OptimizationConfigInput = {
  [Section in keyof OptimizationConfig]?: Partial<OptimizationConfig[Section]>;
};

/**
 * The whole config, one section per concern; an omitted section takes its defaults, so `{}` is a complete
 * config. Parse with parseConfig() unless you need zod's safeParse.
 */
export const OptimizationConfigSchema: z.ZodType<OptimizationConfig, OptimizationConfigInput> = z
  .strictObject({
    modules: ModulesSchema.prefault({}),
    intervals: IntervalsSchema.prefault({}),
    limits: LimitsSchema.prefault({}),
    alerts: AlertsSchema.prefault({}),
    recommendations: RecommendationsSchema.prefault({}),
    verification: VerificationSchema.prefault({}),
    retention: RetentionSchema.prefault({}),
    ingest: IngestSchema.prefault({}),
    optimization: OptimizationSchema.prefault({}),
    platform: PlatformSchema.prefault({}),
  });

/** The name of a module that can be switched on or off (`modules.<name>`). */
export type ModuleName = keyof OptimizationConfig["modules"];

/** Every module, in the order the config declares them (and the status report lists them). */
export const moduleNames = Object.keys(ModulesSchema.shape) as ModuleName[];

/** Parses a stored or submitted config, filling every omitted setting with its default. Throws ZodError. */
export function parseConfig(input: unknown): OptimizationConfig {
  return OptimizationConfigSchema.parse(input);
}

/** The config with every setting at its default: what a project that never wrote one runs with. */
export const defaultConfig: OptimizationConfig = parseConfig({});
