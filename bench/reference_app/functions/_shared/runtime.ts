import postgres from "postgres";
import { defaultReporter, instrument, type MetricReporter } from "../../../../shared/metrics/instrument.ts";
import { cacheSettingsFromEnv } from "../../cache.ts";
import { type AppCache, createAppCache } from "./app_cache.ts";
import { type App, createApp } from "./http.ts";

/**
 * What each QuantForge function holds per isolate: its Hono app (http.ts), a lazily connecting Postgres
 * client of its own, the cache its configuration asks for, and one metric reporter shared by instrument()
 * (requests, cold starts, warm pings) and the cache (lookups). instrument() is the only part of the optimizer
 * the app uses, as it would be in any customer's app: it wraps app.fetch, counts each request once and
 * answers warm-up pings before the app runs, opening the database pool first.
 *
 * The database client is the app's, not the optimizer's: application_name `quantforge-<function>` (what
 * pg_stat_activity and pg_stat_statements' users see), the pool a small edge isolate needs (3 connections,
 * idle ones closed after 20 s), prepare: false for the transaction pooler, a 15 s statement timeout.
 *
 * Environment: SUPABASE_DB_URL, SUPABASE_JWKS or SUPABASE_URL (http.ts), APP_CACHE (off, lru-ttl, shared), APP_CACHE_TTL_MS,
 * APP_CACHE_MAX_ENTRIES, APP_CACHE_MAX_BYTES (cache.ts), METRICS_URL (where events go; default
 * `${SUPABASE_URL}/functions/v1/metrics`). A malformed value fails the boot with a message naming the variable.
 */
export interface AppRuntime {
  name: string;
  app: App;
  sql: Sql;
  cache: AppCache;
  reporter: MetricReporter | null;
  /** Starts serving, measured by instrument(). */
  serve(): void;
}

export type Sql = postgres.Sql;

/** The app's database client; creating it opens no connection (a warm-up ping does, see serve()). */
export function createAppSql(name: string, env: (name: string) => string | undefined): Sql {
  const url = env("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set: the app cannot reach its database");
  return postgres(url, {
    prepare: false,
    max: 3,
    idle_timeout: 20,
    connect_timeout: 5,
    connection: { application_name: `quantforge-${name}`, statement_timeout: 15_000 },
    onnotice: () => {},
  });
}

export function createAppRuntime(
  name: string,
  env: (name: string) => string | undefined = (variable) => Deno.env.get(variable),
): AppRuntime {
  const settings = cacheSettingsFromEnv(env);
  const reporter = defaultReporter({ target: name, url: env("METRICS_URL") || undefined, env });
  const app = createApp(name);
  const sql = createAppSql(name, env);
  return {
    name,
    app,
    sql,
    cache: createAppCache({ settings, reporter, sql }),
    reporter,
    serve() {
      Deno.serve(instrument((request: Request) => app.fetch(request), {
        target: name,
        reporter: reporter ?? undefined,
        // A worker a ping booted would otherwise leave its first request to connect (about 20 ms locally).
        prepareOnWarmup: () => sql`select 1`,
      }));
    },
  };
}
