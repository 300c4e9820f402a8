import {
  type CheckStore,
  type ConfigAccess,
  createCheckStore,
  createForecastStore,
  createFunctionApp,
  createMetricReporter,
  createPrewarmStore,
  createRecommendationStore,
  createSql,
  createStatusStore,
  createSystemStore,
  errorBody,
  estimatorError,
  type FunctionApp,
  type FunctionAppOptions,
  issuesResponse,
  jsonBody,
  limitBody,
  params,
  query,
  type RecommendationStore,
  reporterOf,
  requireAuth,
  resolveSystemRun,
  rollbackSystemRun,
  runSystemOptimization,
  SECOND_MS,
  sqlSink,
  type SystemRunDeps,
  SystemRunIdParamsSchema,
  SystemRunListQuerySchema,
  SystemRunQuerySchema,
  SystemRunRequestSchema,
  type SystemStore,
  verifyAppliedActions,
} from "../../../shared/mod.ts";

/**
 * The optimize-system function: a coordinated, time-bounded run that applies the actions of every module
 * scored for a priority (POST /; pg_cron asks for one every intervals.systemWideMinutes while
 * modules.systemWide is on), the latest runs (GET /), one run (GET /:id), the rollback of every action a run
 * applied (POST /:id/rollback), and the checks of applied actions against their estimates (POST /verify,
 * GET /checks). Every route takes a secret key only: runs change the project's
 * database and config. API: docs/functions.md.
 */

const name = "optimize-system";
/** The latest checks the estimator's error is taken over. */
const checksRead = 1000;

/**
 * What the app reads and writes, injected so that tests can run it in process. Self-instrumentation
 * (`reporter`), the authenticator and the clock default as in createFunctionApp().
 */
export interface OptimizeSystemDeps
  extends Pick<FunctionAppOptions, "reporter" | "authenticator" | "now" | "prepareOnWarmup"> {
  /** The run lock, the facts the planner reads and the run log. */
  store: SystemStore;
  /** The stored findings, applied and rolled back. */
  findings: RecommendationStore;
  /** The checks of applied actions. */
  checks: CheckStore;
  /** The stored config. */
  config: ConfigAccess;
  /** A findings store whose DDL is bounded by the time left (see SystemRunDeps). */
  boundedFindings: SystemRunDeps["boundedFindings"];
  /** The predictive module's forecasts and buffer loads (see SystemRunDeps); without it, runs plan no loads. */
  predictive?: SystemRunDeps["predictive"];
  /** Milliseconds, monotonic, for the deadline (default performance.now). */
  clock?: () => number;
}

/** The optimize-system app over the given stores. */
export function createOptimizeSystemApp(deps: OptimizeSystemDeps): FunctionApp {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  const clock = deps.clock ?? (() => performance.now());
  const app = createFunctionApp({
    name,
    reporter: deps.reporter ?? null,
    authenticator: deps.authenticator,
    now,
    prepareOnWarmup: deps.prepareOnWarmup,
  });

  app.post(
    "/",
    requireAuth("secret"),
    query(SystemRunQuerySchema),
    limitBody(16 * 1024),
    jsonBody(SystemRunRequestSchema),
    async (c) => {
      const arrivedAt = clock();
      const request = c.req.valid("json");
      const { trigger } = c.req.valid("query");
      const { config: current } = await config.readConfig();
      // the switch is the schedule's: a caller with the secret key asks for a run by itself
      if (trigger === "cron" && !request.dryRun && !current.modules.systemWide) {
        return c.json(
          errorBody(
            c,
            "modules.systemWide is off: turn it on with PUT /status/config to have pg_cron run it",
          ),
          409,
        );
      }
      const resolved = resolveSystemRun(request, current);
      if ("issues" in resolved) return issuesResponse(c, resolved.issues);
      const outcome = await runSystemOptimization(deps, resolved.options, {
        trigger,
        requestedBy: reporterOf(c.get("auth")),
        now: now(),
        arrivedAt,
      });
      if ("busy" in outcome) {
        const { runningRunId } = outcome.busy;
        return c.json({
          ...errorBody(
            c,
            `a system-wide run is in progress${
              runningRunId ? ` (run ${runningRunId})` : ""
            }: one runs at a ` +
              "time; see GET /optimize-system for when it ends",
          ),
          runningRunId,
        }, 409);
      }
      return c.json({ ...outcome.result, requestId: c.get("requestId") });
    },
  );

  /** The estimator's error over the latest checks. */
  const estimatorNow = async () => estimatorError(await deps.checks.checks(checksRead));

  app.post("/verify", requireAuth("secret"), async (c) => {
    const { checks } = await verifyAppliedActions(deps, reporterOf(c.get("auth")));
    return c.json({ verified: checks, estimatorError: await estimatorNow(), requestId: c.get("requestId") });
  });

  app.get("/checks", requireAuth("secret"), query(SystemRunListQuerySchema), async (c) => {
    const checks = await deps.checks.checks(c.req.valid("query").limit);
    return c.json({ checks, estimatorError: await estimatorNow(), requestId: c.get("requestId") });
  });

  app.get("/", requireAuth("secret"), query(SystemRunListQuerySchema), async (c) => {
    return c.json({ runs: await store.runs(c.req.valid("query").limit), requestId: c.get("requestId") });
  });

  app.get("/:id", requireAuth("secret"), params(SystemRunIdParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const run = await store.run(id);
    if (!run) {
      return c.json(errorBody(c, `no system-wide run ${id}: list runs with GET /optimize-system`), 404);
    }
    return c.json({ run, requestId: c.get("requestId") });
  });

  app.post("/:id/rollback", requireAuth("secret"), params(SystemRunIdParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const run = await store.run(id);
    if (!run) {
      return c.json(errorBody(c, `no system-wide run ${id}: list runs with GET /optimize-system`), 404);
    }
    const rolledBack = await rollbackSystemRun(deps, id, reporterOf(c.get("auth")));
    const failed = rolledBack.filter((r) => r.status !== 200).length;
    return c.json(
      failed === 0 ? { runId: id, rolledBack, requestId: c.get("requestId") } : {
        ...errorBody(
          c,
          `${failed} of the run's ${rolledBack.length} actions could not be rolled back: see rolledBack`,
        ),
        runId: id,
        rolledBack,
      },
      failed === 0 ? 200 : 409,
    );
  });

  return app;
}

/**
 * Postgres' lock_timeout for index builds and drops: long enough for short transactions on the table to
 * finish, short enough that writers do not queue behind a build waiting for a long one.
 */
const indexLockTimeoutMs = 5 * SECOND_MS;
/** Postgres' statement_timeout for the rollbacks' index builds, which no run deadline bounds. */
const rollbackStatementTimeoutMs = 10 * 60 * SECOND_MS;

/**
 * The deployed wiring: Postgres at `url` (default OPTIMIZER_DB_URL, then SUPABASE_DB_URL), and close() for a
 * caller that runs the app in process (the benchmark, against a database it slows down).
 */
export function liveOptimizeSystemDeps(url?: string): OptimizeSystemDeps & { close(): Promise<void> } {
  const sql = createSql({ functionName: name, url });
  // One connection whose transaction holds the run lock for the run.
  const lock = createSql({ functionName: `${name}-lock`, url, max: 1 });
  // Statements each in their own transaction: `create index concurrently` refuses to run inside one.
  const ddl = createSql({
    functionName: `${name}-ddl`,
    url,
    max: 1,
    lockTimeoutMs: indexLockTimeoutMs,
    statementTimeoutMs: rollbackStatementTimeoutMs,
  });
  // a connection per action, its session's timeouts the time left: they bound what one statement waits and
  // runs, which is all a run's deadline needs, and they hold through a transaction pooler
  const boundedSql = (timeLeftMs: number) =>
    createSql({
      functionName: `${name}-ddl`,
      url,
      max: 1,
      lockTimeoutMs: Math.max(1, Math.min(indexLockTimeoutMs, timeLeftMs)),
      statementTimeoutMs: Math.max(1, timeLeftMs),
    });
  return {
    store: createSystemStore(sql, lock),
    findings: createRecommendationStore(sql, ddl),
    checks: createCheckStore(sql),
    config: createStatusStore(sql),
    boundedFindings(timeLeftMs) {
      const bounded = boundedSql(timeLeftMs);
      return { store: createRecommendationStore(sql, bounded), end: () => bounded.end() };
    },
    predictive: {
      forecasts: createForecastStore(sql),
      buffers: createPrewarmStore(sql),
      boundedBuffers(timeLeftMs) {
        const bounded = boundedSql(timeLeftMs);
        return { store: createPrewarmStore(bounded), end: () => bounded.end() };
      },
    },
    reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
    prepareOnWarmup: () => sql`select 1`,
    close: async () => {
      await Promise.all([sql.end(), lock.end(), ddl.end()]);
    },
  };
}

let live: FunctionApp | undefined;

// Served by the runtime (hosted Edge Runtime and the local gateway both take a default export with fetch);
// built on the first request, so importing this module (as tests do) needs no environment.
export default {
  fetch: (request: Request): Response | Promise<Response> =>
    (live ??= createOptimizeSystemApp(liveOptimizeSystemDeps())).fetch(request),
};
