import postgres from "postgres";

/**
 * The Postgres client our functions use. Small and short-lived on purpose: an edge isolate serves a few
 * requests at a time and may vanish at any moment, and every isolate holds its own pool.
 * prepare: false because the transaction pooler (Supavisor, port 6543) cannot keep prepared statements.
 */

export type Sql = postgres.Sql;

/** Options of createSql(); every one but functionName has a default (dbDefaults). */
export interface DbOptions {
  /** Function name, for application_name (`optimizer-<fn>`), which pg_stat_activity shows. */
  functionName: string;
  /** Defaults to OPTIMIZER_DB_URL, then SUPABASE_DB_URL. */
  url?: string;
  /** Connections this isolate's pool may open (default 3): an isolate serves a few requests at a time. */
  max?: number;
  /** An idle connection is closed after this long (default 20 s), so a quiet isolate holds none. */
  idleTimeoutSeconds?: number;
  /** How long opening a connection may take before the query fails (default 5 s). */
  connectTimeoutSeconds?: number;
  /** Postgres' statement_timeout for this client's sessions (default 15 000 ms). */
  statementTimeoutMs?: number;
  /** Postgres' lock_timeout for this client's sessions (default: none, Postgres waits for locks). */
  lockTimeoutMs?: number;
  /**
   * How long a query may wait for a pool connection before it fails as database unavailable (503); default
   * 2 000 ms.
   */
  acquireTimeoutMs?: number;
  /** Reads environment variables for the URL (default Deno.env.get); tests pass their own. */
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
  const max = positive("max", options.max ?? dbDefaults.max);
  const sql = postgres(url, {
    prepare: false,
    max,
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
      ...(options.lockTimeoutMs === undefined
        ? {}
        : { lock_timeout: positive("lockTimeoutMs", options.lockTimeoutMs) }),
    },
    onnotice: () => {},
  });
  return boundConnectionWait(sql, max, acquireTimeoutMs);
}

/**
 * A postgres.js query (3.4.9, pinned in import_map.json) is lazy: it is sent when first awaited or on
 * .execute(); `active` is true while a connection runs it; .cancel() then has Postgres cancel it.
 */
type LazyQuery = Promise<unknown> & { execute(): unknown; cancel(): unknown; active: boolean };

function isQuery(value: unknown): value is LazyQuery {
  return value instanceof Promise && typeof (value as Partial<LazyQuery>).execute === "function";
}

function connectionWaitTimeout(ms: number): Error {
  return Object.assign(
    new Error(`no database connection became free within ${ms} ms (acquireTimeoutMs): the database is slow`),
    { code: connectionWaitTimeoutCode },
  );
}

function cancelledBeforeSent(): Error {
  return Object.assign(new Error("the query was cancelled before it was sent"), { code: "57014" });
}

/**
 * postgres.js has no acquire timeout: once all `max` connections are busy, a query waits in its queue (or
 * pipelined behind a running query) for as long as the queries ahead of it run, up to their statement
 * timeout. So the waiting happens here instead: at most `max` queries are handed to postgres.js at a time,
 * each finding a free (or not yet opened) connection, and the others wait in line here; one still waiting
 * after `ms` fails with CONNECTION_WAIT_TIMEOUT (503 with retry-after, database_unavailable.ts) without ever
 * having been sent. Fragments (sql`...` inside another query) are never awaited, so they take no turn.
 * sql.begin() and sql.reserve() would hold connections this count does not see: our functions run single
 * statements (SQL functions) instead.
 */
function boundConnectionWait(sql: Sql, max: number, ms: number): Sql {
  let running = 0;
  const line: Array<{ go: () => void; leave: (error: Error) => void }> = [];

  function release() {
    running--;
    line.shift()?.go();
  }

  function bound(query: LazyQuery): LazyQuery {
    let cancelled = false;
    let sent = false;
    let leaveLine: ((error: Error) => void) | null = null;
    let result: Promise<unknown> | null = null;

    const turn = () =>
      new Promise<void>((go, fail) => {
        if (running < max) {
          running++;
          return go();
        }
        const place = {
          go: () => {
            clearTimeout(timer);
            leaveLine = null;
            running++;
            go();
          },
          leave: (error: Error) => {
            clearTimeout(timer);
            line.splice(line.indexOf(place), 1);
            leaveLine = null;
            fail(error);
          },
        };
        const timer = setTimeout(() => place.leave(connectionWaitTimeout(ms)), ms);
        leaveLine = place.leave;
        line.push(place);
      });

    const run = () =>
      result ??= turn().then(() => {
        if (cancelled) {
          release();
          throw cancelledBeforeSent();
        }
        sent = true;
        query.execute();
        // Promise.prototype.then: the query's own then() is what this proxy stands in for.
        const settled = new Promise((resolve, reject) => Promise.prototype.then.call(query, resolve, reject));
        settled.then(release, release);
        return settled;
      });

    function cancel() {
      cancelled = true;
      if (leaveLine) leaveLine(cancelledBeforeSent());
      // Only a running query is cancelled: postgres.js would leave a connection still opening for a
      // cancelled first query stuck, out of the pool for good. A query not running yet runs, unwanted.
      else if (sent && query.active) query.cancel();
    }

    const proxy: LazyQuery = new Proxy(query, {
      get(target, property) {
        if (property === "then") {
          return (...args: Parameters<Promise<unknown>["then"]>) => run().then(...args);
        }
        if (property === "catch") return (onRejected: (e: unknown) => unknown) => run().catch(onRejected);
        if (property === "finally") return (onFinally: () => void) => run().finally(onFinally);
        if (property === "cancel") return cancel;
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        // values(), raw(), simple() and friends return the query itself: keep returning the bound one.
        return (...args: unknown[]) => {
          const returned = value.apply(target, args);
          return returned === target ? proxy : returned;
        };
      },
    });
    return proxy;
  }

  return new Proxy(sql, {
    apply(target, thisArg, args) {
      const made = Reflect.apply(target, thisArg, args);
      return isQuery(made) ? bound(made) : made;
    },
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== "unsafe") return value;
      return (...args: unknown[]) => bound((value as (...a: unknown[]) => LazyQuery).apply(target, args));
    },
  });
}
