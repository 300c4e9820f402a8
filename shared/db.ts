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
  /** How long a query may wait for a pool connection before it fails as database unavailable (503). */
  acquireTimeoutMs?: number;
  env?: (name: string) => string | undefined;
}

export const dbDefaults = {
  max: 3,
  idleTimeoutSeconds: 20,
  connectTimeoutSeconds: 5,
  statementTimeoutMs: 15_000,
  acquireTimeoutMs: 2_000,
} as const;

/** The code of the error a query fails with when it waited acquireTimeoutMs for a connection. */
export const connectionWaitTimeoutCode = "CONNECTION_WAIT_TIMEOUT";

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
  const acquireTimeoutMs = positive(
    "acquireTimeoutMs",
    options.acquireTimeoutMs ?? dbDefaults.acquireTimeoutMs,
  );
  const sql = postgres(url, {
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
  return boundConnectionWait(sql, acquireTimeoutMs);
}

/**
 * The pieces of a postgres.js 3.4.9 query (pinned in import_map.json) the bound relies on: a query is sent
 * when it is first awaited (then/catch/finally call handle()); `active` is true from the moment a connection
 * starts executing it until it settles (a query pipelined behind another one on a busy connection, or waiting
 * in the pool's queue, is not active); cancel() is public API: it takes a queued query off the queue, or has
 * Postgres cancel it once it starts.
 */
type PendingQuery = Promise<unknown> & { active: boolean; cancel(): unknown; execute(): unknown };

function isQuery(value: unknown): value is PendingQuery {
  return value instanceof Promise && typeof (value as Partial<PendingQuery>).cancel === "function";
}

function connectionWaitTimeout(ms: number): Error {
  return Object.assign(
    new Error(`no database connection became free within ${ms} ms (acquireTimeoutMs): the database is slow`),
    { code: connectionWaitTimeoutCode },
  );
}

/**
 * postgres.js has no acquire timeout: a query waits for a connection (queued, or pipelined behind a slow
 * query) until the statement timeout of the queries ahead of it. This wraps the client so that a query not
 * started within `ms` of being awaited rejects with CONNECTION_WAIT_TIMEOUT (a 503 with retry-after, see
 * database_unavailable.ts) and is cancelled, so it never runs for a caller that has gone.
 * Fragments (sql`...` inside another query) are never awaited and so never timed.
 */
function boundConnectionWait(sql: Sql, ms: number): Sql {
  const bound = (query: PendingQuery): PendingQuery => {
    let waited: Promise<unknown> | null = null;
    const start = () =>
      waited ??= new Promise((resolve, reject) => {
        let settled = false;
        const timer = setTimeout(() => {
          if (settled || query.active) return;
          query.cancel();
          reject(connectionWaitTimeout(ms));
        }, ms);
        query.execute();
        // Promise.prototype.then: the query's own then() would be this proxy's again.
        Promise.prototype.then.call(query, resolve, reject).finally(() => {
          settled = true;
          clearTimeout(timer);
        });
      });
    const proxy: PendingQuery = new Proxy(query, {
      get(target, property) {
        if (property === "then") {
          return (...args: Parameters<Promise<unknown>["then"]>) => start().then(...args);
        }
        if (property === "catch") return (onRejected: (e: unknown) => unknown) => start().catch(onRejected);
        if (property === "finally") return (onFinally: () => void) => start().finally(onFinally);
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        // values(), raw(), simple() and friends return the query itself: keep returning the bound one.
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };
  return new Proxy(sql, {
    apply(target, thisArg, args) {
      const result = Reflect.apply(target, thisArg, args);
      return isQuery(result) ? bound(result) : result;
    },
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== "unsafe") return value;
      return (...args: unknown[]) => bound((value as (...a: unknown[]) => PendingQuery).apply(target, args));
    },
  });
}
