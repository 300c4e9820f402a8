import {
  createFunctionApp,
  createMetricReporter,
  createSql,
  createStatusStore,
  type FunctionApp,
  type FunctionAppOptions,
  jsonBody,
  limitBody,
  OptimizationConfigSchema,
  reporterOf,
  requireAuth,
  sqlSink,
  statusReport,
  type StatusStore,
} from "../../../shared/mod.ts";

/** The status function: what runs, data volumes, pipeline health (GET /), the config (GET/PUT /config). */

const name = "status";

/**
 * What the status app reads and writes, injected so that tests can run it in process with fakes.
 * Self-instrumentation (`reporter`), the authenticator and the clock default as in createFunctionApp().
 */
export interface StatusDeps
  extends Pick<FunctionAppOptions, "reporter" | "authenticator" | "now" | "prepareOnWarmup"> {
  store: StatusStore;
}

/** The status app over the given store. */
export function createStatusApp(deps: StatusDeps): FunctionApp {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createFunctionApp({
    name,
    reporter: deps.reporter ?? null,
    authenticator: deps.authenticator,
    now,
    prepareOnWarmup: deps.prepareOnWarmup,
  });

  app.get("/", requireAuth("secret"), async (c) => {
    const [overview, stored] = await Promise.all([store.overview(), store.readConfig()]);
    return c.json({ ...statusReport(overview, stored.config, now()), requestId: c.get("requestId") });
  });

  app.get("/config", requireAuth("secret"), async (c) => {
    return c.json({ ...(await store.readConfig()), requestId: c.get("requestId") });
  });

  app.put(
    "/config",
    requireAuth("secret"),
    limitBody(64 * 1024),
    jsonBody(OptimizationConfigSchema),
    async (c) => {
      const stored = await store.writeConfig(c.req.valid("json"), reporterOf(c.get("auth")));
      return c.json({ ...stored, requestId: c.get("requestId") });
    },
  );

  return app;
}

/** The deployed wiring: Postgres from OPTIMIZER_DB_URL or SUPABASE_DB_URL. */
function liveStatusApp(): FunctionApp {
  const sql = createSql({ functionName: name });
  return createStatusApp({
    store: createStatusStore(sql),
    reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
    prepareOnWarmup: () => sql`select 1`,
  });
}

let live: FunctionApp | undefined;

// Served by the runtime (hosted Edge Runtime and the local gateway both take a default export with fetch);
// built on the first request, so importing this module (as tests do) needs no environment.
export default {
  fetch: (request: Request): Response | Promise<Response> => (live ??= liveStatusApp()).fetch(request),
};
