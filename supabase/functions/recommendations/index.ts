import {
  type Analyzer,
  applyFinding,
  type ConfigAccess,
  createBreakerAnalyzer,
  createCacheAnalyzer,
  createCorrelationAnalyzer,
  createDbHealthAnalyzer,
  createEdgeAnalyzer,
  createFunctionApp,
  createIndexAdvisor,
  createMetricReporter,
  createQueryShapeAnalyzer,
  createRecommendationStore,
  createRlsAnalyzer,
  createSql,
  createStatusStore,
  createWarmBudgetAnalyzer,
  DismissBodySchema,
  errorBody,
  FindingIdParamsSchema,
  FindingListQuerySchema,
  type FunctionApp,
  type FunctionAppOptions,
  jsonBody,
  limitBody,
  params,
  query,
  recommendationResult,
  type RecommendationStore,
  RefreshQuerySchema,
  refreshRecommendations,
  reporterOf,
  requireAuth,
  rollbackFinding,
  SECOND_MS,
  type Sql,
  sqlSink,
} from "../../../shared/mod.ts";

/**
 * The recommendations function: lists stored findings (GET /), runs the analysis (POST /refresh), applies,
 * rolls back and dismisses findings (POST /:id/apply, /:id/rollback, /:id/dismiss). Every route takes a
 * secret key only: findings describe the project's internals (tables, indexes, policies, settings). API:
 * docs/functions.md.
 */

const name = "recommendations";

/**
 * What the recommendations app reads and writes, injected so that tests can run it in process.
 * Self-instrumentation (`reporter`), the authenticator and the clock default as in createFunctionApp().
 */
export interface RecommendationsDeps
  extends Pick<FunctionAppOptions, "reporter" | "authenticator" | "now" | "prepareOnWarmup"> {
  /** Findings, runs and index builds. */
  store: RecommendationStore;
  /** The stored config: read by every run, patched by config findings. */
  config: ConfigAccess;
  /** The analyzers a refresh runs, in order. */
  analyzers: readonly Analyzer[];
  /** The project's database, handed to the analyzers. */
  sql: Sql;
}

/** The recommendations app over the given store and analyzers. */
export function createRecommendationsApp(deps: RecommendationsDeps): FunctionApp {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createFunctionApp({
    name,
    reporter: deps.reporter ?? null,
    authenticator: deps.authenticator,
    now,
    prepareOnWarmup: deps.prepareOnWarmup,
  });

  app.get("/", requireAuth("secret"), query(FindingListQuerySchema), async (c) => {
    const findings = await store.list(c.req.valid("query"));
    const open = findings.filter((stored) => stored.status === "open").map((stored) => stored.finding);
    return c.json({ findings, result: recommendationResult(open), requestId: c.get("requestId") });
  });

  app.post("/refresh", requireAuth("secret"), query(RefreshQuerySchema), async (c) => {
    const { config: current } = await config.readConfig();
    if (!current.modules.recommendations) {
      return c.json(
        errorBody(
          c,
          "modules.recommendations is off: turn it on with PUT /status/config to run the analysis",
        ),
        409,
      );
    }
    const { trigger, since } = c.req.valid("query");
    const startedAt = now();
    const windowMs = since === undefined ? undefined : startedAt.getTime() - Date.parse(since);
    if (windowMs !== undefined && windowMs <= 0) {
      return c.json(
        errorBody(c, `since must be earlier than now (${startedAt.toISOString()}): got ${since}`, [
          { path: "since", message: "must be in the past" },
        ]),
        400,
      );
    }
    const summary = await refreshRecommendations({
      store,
      analyzers: deps.analyzers,
      sql: deps.sql,
      config: current,
      trigger,
      now: startedAt,
      windowMs,
    });
    return c.json({ ...summary, requestId: c.get("requestId") });
  });

  app.get("/:id", requireAuth("secret"), params(FindingIdParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const stored = await store.get(id);
    if (!stored) {
      return c.json(errorBody(c, `no finding ${id}: list findings with GET /recommendations`), 404);
    }
    return c.json({ finding: stored, events: await store.events(id), requestId: c.get("requestId") });
  });

  app.post("/:id/apply", requireAuth("secret"), params(FindingIdParamsSchema), async (c) => {
    const outcome = await applyFinding(store, config, c.req.valid("param").id, reporterOf(c.get("auth")));
    return c.json({ ...outcome.body, requestId: c.get("requestId") }, outcome.status);
  });

  app.post("/:id/rollback", requireAuth("secret"), params(FindingIdParamsSchema), async (c) => {
    const outcome = await rollbackFinding(store, config, c.req.valid("param").id, reporterOf(c.get("auth")));
    return c.json({ ...outcome.body, requestId: c.get("requestId") }, outcome.status);
  });

  app.post(
    "/:id/dismiss",
    requireAuth("secret"),
    params(FindingIdParamsSchema),
    limitBody(16 * 1024),
    jsonBody(DismissBodySchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const stored = await store.get(id);
      if (!stored) {
        return c.json(errorBody(c, `no finding ${id}: list findings with GET /recommendations`), 404);
      }
      if (stored.status === "applied") {
        return c.json(
          errorBody(c, `finding ${id} is applied: roll it back (POST /${id}/rollback) first`),
          409,
        );
      }
      await store.dismiss(id, reporterOf(c.get("auth")), c.req.valid("json").reason);
      return c.json({ finding: await store.get(id), requestId: c.get("requestId") });
    },
  );

  return app;
}

/**
 * Postgres' lock_timeout for index builds: long enough for short transactions on the table to finish, short
 * enough that writers do not queue behind a build waiting for a long one (the build is then a 409 to retry).
 */
const indexLockTimeoutMs = 5 * SECOND_MS;
/** Postgres' statement_timeout for index builds and their rollbacks. */
const indexStatementTimeoutMs = 10 * 60 * SECOND_MS;

/** The analyzers a refresh runs, with their default thresholds (`npm run advise` runs them too). */
export const liveAnalyzers: readonly Analyzer[] = [
  createIndexAdvisor(),
  createDbHealthAnalyzer(),
  createRlsAnalyzer(),
  createQueryShapeAnalyzer(),
  createCacheAnalyzer(),
  createEdgeAnalyzer(),
  createBreakerAnalyzer(),
  createWarmBudgetAnalyzer(),
  createCorrelationAnalyzer(),
];

/** The deployed wiring: Postgres from OPTIMIZER_DB_URL or SUPABASE_DB_URL. */
function liveRecommendationsApp(): FunctionApp {
  const sql = createSql({ functionName: name });
  // One connection, statements each in their own transaction: `create index concurrently` refuses to run
  // inside a transaction block.
  const ddl = createSql({
    functionName: `${name}-ddl`,
    max: 1,
    lockTimeoutMs: indexLockTimeoutMs,
    statementTimeoutMs: indexStatementTimeoutMs,
  });
  return createRecommendationsApp({
    store: createRecommendationStore(sql, ddl),
    config: createStatusStore(sql),
    analyzers: liveAnalyzers,
    sql,
    reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
    prepareOnWarmup: () => sql`select 1`,
  });
}

let live: FunctionApp | undefined;

// Served by the runtime (hosted Edge Runtime and the local gateway both take a default export with fetch);
// built on the first request, so importing this module (as tests do) needs no environment.
export default {
  fetch: (request: Request): Response | Promise<Response> =>
    (live ??= liveRecommendationsApp()).fetch(request),
};
