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

/**
 * The whole config, one section per concern; an omitted section takes its defaults, so `{}` is a complete
 * config. Parse with parseConfig() unless you need zod's safeParse.
 */
export const OptimizationConfigSchema = z.strictObject({
  modules: ModulesSchema.prefault({}),
  intervals: IntervalsSchema.prefault({}),
  limits: LimitsSchema.prefault({}),
  alerts: AlertsSchema.prefault({}),
  retention: RetentionSchema.prefault({}),
  ingest: IngestSchema.prefault({}),
});

/** A complete config, every setting explicit: what parseConfig() returns and the functions work with. */
export type OptimizationConfig = z.infer<typeof OptimizationConfigSchema>;
/** A config as stored or submitted: any section or setting may be left out to take its default. */
export type OptimizationConfigInput = z.input<typeof OptimizationConfigSchema>;
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
