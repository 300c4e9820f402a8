import postgres from "postgres";

/**
 * The Postgres client our functions use. Small and short-lived on purpose: an edge isolate serves a few
 * requests at a time and may vanish at any moment, and every isolate holds its own pool.
 * prepare: false because the transaction pooler (Supavisor, port 6543) cannot keep prepared statements.
 */

export type Sql = postgres.Sql;

export interface DbOptions {
  /** Function name, for application_name (`optimizer-<fn>`), which pg_stat_activity shows. */
  functionName: string;
  /** Defaults to OPTIMIZER_DB_URL, then SUPABASE_DB_URL. */
  url?: string;
  max?: number;
  idleTimeoutSeconds?: number;
  connectTimeoutSeconds?: number;
  statementTimeoutMs?: number;
  env?: (name: string) => string | undefined;
}

export const dbDefaults = {
  max: 3,
  idleTimeoutSeconds: 20,
  connectTimeoutSeconds: 5,
  statementTimeoutMs: 15_000,
} as const;

/**
 * OPTIMIZER_DB_URL is ours to set (`supabase secrets set OPTIMIZER_DB_URL=...`): on hosted, the transaction
 * pooler URL (port 6543), because SUPABASE_DB_URL is the direct connection (IPv6 only without the add-on).
 */
export function databaseUrl(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string {
  const url = env("OPTIMIZER_DB_URL") || env("SUPABASE_DB_URL");
  if (!url) {
    throw new Error(
      "no database URL: set OPTIMIZER_DB_URL (on hosted: the transaction pooler URL, port 6543) or SUPABASE_DB_URL",
    );
  }
  return url;
}

function positive(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`${name} must be a whole number >= 1: got ${value}`);
  }
  return value;
}

/** A lazily connecting client: creating it opens no connection, so warm-ups never touch the database. */
export function createSql(options: DbOptions): Sql {
  if (!/^[a-z0-9_-]+$/i.test(options.functionName)) {
    throw new Error(`functionName must be letters, digits, _ or -: got '${options.functionName}'`);
  }
  const url = options.url ?? databaseUrl(options.env);
  return postgres(url, {
    prepare: false,
    max: positive("max", options.max ?? dbDefaults.max),
    idle_timeout: positive("idleTimeoutSeconds", options.idleTimeoutSeconds ?? dbDefaults.idleTimeoutSeconds),
    connect_timeout: positive(
      "connectTimeoutSeconds",
      options.connectTimeoutSeconds ?? dbDefaults.connectTimeoutSeconds,
    ),
    connection: {
      application_name: `optimizer-${options.functionName}`,
      statement_timeout: positive(
        "statementTimeoutMs",
        options.statementTimeoutMs ?? dbDefaults.statementTimeoutMs,
      ),
    },
    onnotice: () => {},
  });
}
