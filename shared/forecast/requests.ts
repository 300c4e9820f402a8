import { z } from "zod";
import { storableText } from "../db/pg_input.ts";
import { type MetricSystem, metricSystems } from "../metrics/metric_event.ts";

/** The requests of the predictive function, validated before anything reaches the store. */

/** `GET /predictive/forecast`: the series, how far ahead, and how much history to forecast from. */
export interface ForecastQuery {
  /** The events' system. */
  system: MetricSystem;
  /** A function's name, a cache namespace, … */
  target: string;
  /** The events' kind, e.g. `request` or `lookup`. */
  kind: string;
  /** How far ahead (1 to 1440 minutes; default 120). */
  horizonMinutes: number;
  /**
   * History to forecast from, ending a few minutes before now (1 to 28 days; default 14): two weeks give the
   * weekly model, four are plenty, and more only cost time.
   */
  historyDays: number;
}

/** `GET /predictive/forecast`: validated query. */
export const ForecastQuerySchema: z.ZodType<ForecastQuery> = z.strictObject({
  system: z.enum(metricSystems, { error: `must be one of ${metricSystems.join(", ")}` }),
  target: z.string().min(1).max(200).check(storableText),
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, {
    error: "must be a metric kind such as request or lookup",
  }),
  horizonMinutes: z.coerce.number().int().min(1).max(1440).default(120),
  historyDays: z.coerce.number().min(1).max(28).default(14),
});

/** `POST /predictive/refresh`: what started it (the pg_cron job says `cron`). */
export const PredictiveRefreshQuerySchema: z.ZodType<{ trigger: "cron" | "api" }> = z.strictObject({
  trigger: z.enum(["cron", "api"]).default("api"),
});
