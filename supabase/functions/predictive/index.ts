import {
  type ConfigAccess,
  createForecastStore,
  createFunctionApp,
  createMetricReporter,
  createPrewarmStore,
  createSql,
  createStatusStore,
  errorBody,
  forecastDefaults,
  forecastHistoryWindow,
  ForecastQuerySchema,
  type ForecastStore,
  forecastTarget,
  type FunctionApp,
  type FunctionAppOptions,
  predictiveBufferSettings,
  PredictiveRefreshQuerySchema,
  type PrewarmStore,
  query,
  refreshForecasts,
  requireAuth,
  runPredictive,
  SECOND_MS,
  sqlSink,
} from "../../../shared/mod.ts";

/**
 * The predictive function: a forecast of any series of the metric store with its intervals, for charts
 * (GET /forecast); the refresh that scores the stored forecasts and stores new ones for the busiest series
 * (POST /refresh); and the predictive run pg_cron asks for, which refreshes and then acts: it loads tables into
 * shared buffers ahead of recurring buffer-cache dips (POST /run). Every route takes a secret key only:
 * forecasts show the project's traffic. API: docs/functions.md.
 */

const name = "predictive";
/** The 409's message while the module is off. */
const moduleOff = (action: string) =>
  `modules.predictive is off: turn it on with PUT /status/config to ${action}`;

/**
 * What the predictive app reads and writes, injected so that tests can run it in process.
 * Self-instrumentation (`reporter`), the authenticator and the clock default as in createFunctionApp().
 */
export interface PredictiveDeps
  extends Pick<FunctionAppOptions, "reporter" | "authenticator" | "now" | "prepareOnWarmup"> {
  /** History, stored forecasts and runs. */
  store: ForecastStore;
  /** Buffer warming's reads and loads. */
  buffers: PrewarmStore;
  /** The stored config: whether the module is on, and the run's time limit. */
  config: Pick<ConfigAccess, "readConfig">;
}

/** The predictive app over the given store. */
export function createPredictiveApp(deps: PredictiveDeps): FunctionApp {
  const { store, buffers, config } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createFunctionApp({
    name,
    reporter: deps.reporter ?? null,
    authenticator: deps.authenticator,
    now,
    prepareOnWarmup: deps.prepareOnWarmup,
  });

  app.get("/forecast", requireAuth("secret"), query(ForecastQuerySchema), async (c) => {
    const { system, target, kind, horizonMinutes, historyDays } = c.req.valid("query");
    const window = forecastHistoryWindow(now(), historyDays);
    const { history, series, forecast, reference } = await forecastTarget(
      store,
      { system, target, kind },
      window,
      horizonMinutes,
    );
    return c.json({
      system,
      target,
      kind,
      history: {
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        minutes: history.values.length,
        events: history.values.reduce((sum, v) => sum + v, 0),
        // the forecast is made from the target's first event on
        firstEventAt: series.values.length === 0 ? null : new Date(series.startMs).toISOString(),
      },
      forecast,
      reference,
      requestId: c.get("requestId"),
    });
  });

  app.post("/refresh", requireAuth("secret"), query(PredictiveRefreshQuerySchema), async (c) => {
    const { config: current } = await config.readConfig();
    if (!current.modules.predictive) return c.json(errorBody(c, moduleOff("refresh forecasts")), 409);
    const startedAt = now();
    const summary = await refreshForecasts(store, {
      trigger: c.req.valid("query").trigger,
      now: startedAt,
      // the deadline bounds real work, so it runs on the real clock whatever `now` says
      deadlineMs: Date.now() + current.limits.maxRunDurationSeconds * SECOND_MS,
      horizonMinutes: forecastDefaults.horizonMinutes,
    });
    return c.json({ ...summary, requestId: c.get("requestId") });
  });

  app.post("/run", requireAuth("secret"), query(PredictiveRefreshQuerySchema), async (c) => {
    const { config: current } = await config.readConfig();
    if (!current.modules.predictive) return c.json(errorBody(c, moduleOff("run it")), 409);
    const result = await runPredictive({ forecasts: store, buffers }, {
      trigger: c.req.valid("query").trigger,
      now: now(),
      deadlineMs: Date.now() + current.limits.maxRunDurationSeconds * SECOND_MS,
      horizonMinutes: forecastDefaults.horizonMinutes,
      ...predictiveBufferSettings(current),
    });
    return c.json({ ...result, requestId: c.get("requestId") });
  });

  return app;
}

/** The deployed wiring: Postgres from OPTIMIZER_DB_URL or SUPABASE_DB_URL. */
function livePredictiveApp(): FunctionApp {
  const sql = createSql({ functionName: name });
  return createPredictiveApp({
    store: createForecastStore(sql),
    buffers: createPrewarmStore(sql),
    config: createStatusStore(sql),
    reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
    prepareOnWarmup: () => sql`select 1`,
  });
}

let live: FunctionApp | undefined;

// Served by the runtime (hosted Edge Runtime and the local gateway both take a default export with fetch);
// built on the first request, so importing this module (as tests do) needs no environment.
export default {
  fetch: (request: Request): Response | Promise<Response> => (live ??= livePredictiveApp()).fetch(request),
};
