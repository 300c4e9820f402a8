import { createFunctionApp, type FunctionApp } from "../../../../shared/app.ts";
import { createSql, type Sql } from "../../../../shared/db.ts";
import { defaultReporter, instrument } from "../../../../shared/instrument.ts";
import type { MetricReporter } from "../../../../shared/metric_reporter.ts";
import { cacheSettingsFromEnv } from "../../cache.ts";
import { type AppCache, createAppCache } from "./app_cache.ts";

/**
 * What each QuantForge function holds per isolate: a Hono app from the shared factory (request ids, JSON
 * errors, validation, requireAuth), a lazily connecting Postgres client, the cache its configuration asks
 * for, and one metric reporter shared by instrument() (requests, cold starts, warm pings) and the cache
 * (lookups).
 *
 * The factory's own self-instrumentation is off (reporter null) and instrument() wraps app.fetch instead, as
 * it would wrap any app's function: each request is counted once, and warm-up pings are answered by
 * instrument() before the app runs.
 *
 * Environment: SUPABASE_DB_URL (or OPTIMIZER_DB_URL), APP_CACHE, APP_CACHE_TTL_MS, APP_CACHE_MAX_ENTRIES,
 * APP_CACHE_MAX_BYTES (cache.ts), METRICS_URL (where events go; default `${SUPABASE_URL}/functions/v1/metrics`).
 * A malformed value fails the boot with a message naming the variable.
 */
export interface AppRuntime {
  name: string;
  app: FunctionApp;
  sql: Sql;
  cache: AppCache;
  reporter: MetricReporter | null;
  /** Starts serving, measured by instrument(). */
  serve(): void;
}

export function createAppRuntime(
  name: string,
  env: (name: string) => string | undefined = (variable) => Deno.env.get(variable),
): AppRuntime {
  const settings = cacheSettingsFromEnv(env);
  const reporter = defaultReporter({ target: name, url: env("METRICS_URL") || undefined, env });
  const app = createFunctionApp({ name, reporter: null });
  return {
    name,
    app,
    sql: createSql({ functionName: name, env }),
    cache: createAppCache({ settings, reporter }),
    reporter,
    serve() {
      Deno.serve(instrument((request: Request) => app.fetch(request), {
        target: name,
        reporter: reporter ?? undefined,
      }));
    },
  };
}
