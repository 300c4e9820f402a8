import { z } from "zod";
import { type OptimizationConfig, type OptimizationPriority, priorities } from "../config/config.ts";
import { SECOND_MS } from "../time.ts";

/**
 * What a system-wide run is asked to do (`POST /optimize-system`), and the options it runs with once the
 * stored config fills in what the request leaves out.
 */

/**
 * The modules a run gathers candidate actions from: from the stored findings of the analyzers each owns,
 * `recommendations` the database's (indexes to build or drop), `warmer` the edge functions' (cold starts,
 * the warm budget), `cache` the cache's (budget), `breakers` the circuit breakers' (thresholds); and
 * `predictive` the buffer loads its run would make now, ahead of recurring buffer-cache dips.
 */
export const systemModules = ["recommendations", "warmer", "cache", "breakers", "predictive"] as const;

/** One of systemModules. */
export type SystemModule = typeof systemModules[number];

/** The body of `POST /optimize-system`: every field may be left out. */
export interface SystemRunRequest {
  /** What to favour when a gain has a cost (default: the config's optimization.priority). */
  priority?: OptimizationPriority;
  /** The longest the run may take, in ms (default and ceiling: limits.maxRunDurationSeconds). */
  maxDurationMs?: number;
  /** Stop once the applied actions' estimated gain reaches this share of the workload's time, in percent. */
  targetGainPercent?: number;
  /** Plan only: nothing is changed (default false). */
  dryRun: boolean;
  /** Only these modules (default: all of systemModules). */
  include?: SystemModule[];
  /** Not these modules (default: none). */
  exclude?: SystemModule[];
}

/** Validates the body of `POST /optimize-system` (the config's limits are checked by resolveSystemRun()). */
export const SystemRunRequestSchema: z.ZodType<SystemRunRequest, unknown> = z.strictObject({
  priority: z.enum(priorities).optional(),
  maxDurationMs: z.number().int().min(1).max(600 * SECOND_MS).optional(),
  targetGainPercent: z.number().positive().max(100).optional(),
  dryRun: z.boolean().default(false),
  include: z.array(z.enum(systemModules)).min(1, "must name at least one module, or be left out").optional(),
  exclude: z.array(z.enum(systemModules)).optional(),
}).superRefine((request, ctx) => {
  for (const module of request.exclude ?? []) {
    if (request.include?.includes(module)) {
      ctx.addIssue({
        code: "custom",
        message: `${module} is both included and excluded: name it in one of the two`,
        path: ["exclude"],
      });
    }
  }
});

/** A run's options, complete. */
export interface SystemRunOptions {
  /** What to favour. */
  priority: OptimizationPriority;
  /** The longest the run may take, in ms. */
  maxDurationMs: number;
  /** The gain, in percent of the workload's time, at which the run stops; null runs until the plan is done. */
  targetGainPercent: number | null;
  /** Plan only. */
  dryRun: boolean;
  /** The modules the run gathers from. */
  modules: SystemModule[];
}

/**
 * The options of a run asked for with `request` under `config`, or the issues that refuse it: a run never
 * lasts longer than limits.maxRunDurationSeconds.
 */
export function resolveSystemRun(
  request: SystemRunRequest,
  config: OptimizationConfig,
): { options: SystemRunOptions } | { issues: { path: string; message: string }[] } {
  const ceilingMs = config.limits.maxRunDurationSeconds * SECOND_MS;
  if (request.maxDurationMs !== undefined && request.maxDurationMs > ceilingMs) {
    return {
      issues: [{
        path: "maxDurationMs",
        message:
          `must be <= limits.maxRunDurationSeconds × 1000 (${ceilingMs}): got ${request.maxDurationMs}; ` +
          "raise the limit with PUT /status/config first",
      }],
    };
  }
  const included = request.include ?? systemModules;
  return {
    options: {
      priority: request.priority ?? config.optimization.priority,
      maxDurationMs: request.maxDurationMs ?? ceilingMs,
      targetGainPercent: request.targetGainPercent ?? null,
      dryRun: request.dryRun,
      modules: systemModules.filter((m) => included.includes(m) && !request.exclude?.includes(m)),
    },
  };
}

/** `POST /optimize-system`'s query: what started it (the pg_cron job says `cron`). */
export const SystemRunQuerySchema: z.ZodType<{ trigger: "cron" | "api" }> = z.strictObject({
  trigger: z.enum(["cron", "api"]).default("api"),
});

/** `GET /optimize-system`: how many of the latest runs. */
export const SystemRunListQuerySchema: z.ZodType<{ limit: number }> = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
});

/** The `:id` of a run route: optimizer.runs' bigint id. */
export const SystemRunIdParamsSchema: z.ZodType<{ id: string }> = z.strictObject({
  id: z.string().regex(/^[1-9][0-9]{0,17}$/, "must be a run id: a whole number from 1, e.g. 42"),
});
