import {
  cached,
  checkEventCounts,
  checkEventSystems,
  checkEventTimes,
  createFunctionApp,
  createMetricReporter,
  createMetricStore,
  createSql,
  createStatusStore,
  errorBody,
  type FunctionApp,
  type FunctionAppOptions,
  ingestLimits,
  issuesResponse,
  jsonBody,
  limitBody,
  MetricBatchSchema,
  type MetricStore,
  MINUTE_MS,
  type OptimizationConfig,
  params,
  query,
  reporterOf,
  requireAuth,
  seriesFromRollups,
  SeriesQuerySchema,
  sqlSink,
  toStorageRows,
  UserPurgeParamsSchema,
} from "../../../shared/mod.ts";

/**
 * The metrics function: ingest events (POST /), read time series (GET /) and purge one user's events
 * (DELETE /users/:userId). API: docs/functions.md.
 */

const name = "metrics";

/**
 * What the metrics app reads and writes, injected so that tests can run it in process with fakes.
 * Self-instrumentation (`reporter`), the authenticator and the clock default as in createFunctionApp().
 */
export interface MetricsDeps
  extends Pick<FunctionAppOptions, "reporter" | "authenticator" | "now" | "prepareOnWarmup"> {
  store: MetricStore;
  /** The current config: retention and the ingest settings bound what may be reported. */
  config: () => Promise<OptimizationConfig>;
}

/** The metrics app over the given stores. */
export function createMetricsApp(deps: MetricsDeps): FunctionApp {
  const now = deps.now ?? (() => new Date());
  const app = createFunctionApp({
    name,
    reporter: deps.reporter ?? null,
    authenticator: deps.authenticator,
    now,
    prepareOnWarmup: deps.prepareOnWarmup,
  });

  app.post(
    "/",
    requireAuth("secret", "user"),
    limitBody(1024 * 1024),
    jsonBody(MetricBatchSchema),
    async (c) => {
      const auth = c.get("auth");
      const { batchId, events } = c.req.valid("json");
      const { retention, ingest } = await deps.config();
      const limits = ingestLimits(auth, ingest);
      if (limits.refused !== null) return c.json(errorBody(c, limits.refused), 403);
      const forbidden = [...checkEventSystems(events, auth.mode), ...checkEventCounts(events, auth.mode)];
      if (forbidden.length > 0) {
        return issuesResponse(
          c,
          forbidden,
          403,
          "this credential may not report some of these events: see issues",
        );
      }
      const outOfRange = checkEventTimes(events, now(), retention.rawEventsDays, limits.windowMinutes);
      if (outOfRange.length > 0) {
        return issuesResponse(c, outOfRange, 400, "invalid request body: see issues");
      }
      if (limits.eventsPerMinute !== null && events.length > limits.eventsPerMinute) {
        const message = `must hold at most ${limits.eventsPerMinute} events, a user's limit per minute ` +
          "(ingest.userEventsPerMinute): split the batch";
        return issuesResponse(c, [{ path: "events", message }], 400, "invalid request body: see issues");
      }
      const reporter = reporterOf(auth);
      const outcome = await deps.store.ingest(toStorageRows(events), reporter, {
        batchId,
        eventsPerMinute: limits.eventsPerMinute,
      });
      if (outcome.retryAfterSeconds !== null) {
        c.header("retry-after", String(outcome.retryAfterSeconds));
        return c.json(
          errorBody(
            c,
            `${reporter} may report ${limits.eventsPerMinute} events a minute (ingest.userEventsPerMinute): ` +
              `this batch of ${events.length} is over it; retry after ${outcome.retryAfterSeconds} s`,
          ),
          429,
        );
      }
      return c.json(
        { accepted: outcome.accepted, duplicate: outcome.duplicate, requestId: c.get("requestId") },
        202,
      );
    },
  );

  app.get("/", requireAuth("secret"), query(SeriesQuerySchema), async (c) => {
    const window = c.req.valid("query");
    const rows = await deps.store.series(window);
    return c.json({ ...seriesFromRollups(rows, window), requestId: c.get("requestId") });
  });

  // Purges one user's events from raw events and every rollup tier: secret key only, as it deletes data
  // any user reported and series of the whole project change.
  app.delete("/users/:userId", requireAuth("secret"), params(UserPurgeParamsSchema), async (c) => {
    const { userId } = c.req.valid("param");
    return c.json({ ...(await deps.store.purgeUser(userId)), requestId: c.get("requestId") });
  });

  return app;
}

/** The deployed wiring: Postgres from OPTIMIZER_DB_URL or SUPABASE_DB_URL; the config read at most once a minute. */
function liveMetricsApp(): FunctionApp {
  const sql = createSql({ functionName: name });
  const statusStore = createStatusStore(sql);
  return createMetricsApp({
    store: createMetricStore(sql),
    config: cached(async () => (await statusStore.readConfig()).config, MINUTE_MS),
    reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
    prepareOnWarmup: () => sql`select 1`,
  });
}

let live: FunctionApp | undefined;

// Served by the runtime (hosted Edge Runtime and the local gateway both take a default export with fetch);
// built on the first request, so importing this module (as tests do) needs no environment.
export default {
  fetch: (request: Request): Response | Promise<Response> => (live ??= liveMetricsApp()).fetch(request),
};
