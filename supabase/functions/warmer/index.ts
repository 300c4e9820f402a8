import {
  CacheLoaderBodySchema,
  CacheLoaderParamsSchema,
  type Clock,
  type ConfigAccess,
  createFunctionApp,
  createMetricReporter,
  createRefreshStore,
  createSql,
  createStatusStore,
  createWarmerStore,
  edgeRuntimeWaitUntil,
  errorBody,
  type FunctionApp,
  type FunctionAppOptions,
  jsonBody,
  limitBody,
  params,
  pingSenderDefaults,
  type PingSenderOptions,
  planWarmerWindow,
  projectSecretKey,
  query,
  readClock,
  refreshSenderDefaults,
  type RefreshSenderOptions,
  type RefreshStore,
  type RefreshSummary,
  requireAuth,
  runWarmer,
  sendPings,
  sendRefreshes,
  type SendSummary,
  showPlan,
  sqlSink,
  wallClock,
  WarmerRunQuerySchema,
  type WarmerStore,
  WarmTargetBodySchema,
  WarmTargetParamsSchema,
  workerAgeMs,
} from "../../../shared/mod.ts";

/**
 * The warmer function: every minute pg_cron asks it for a run (POST /run). A run plans the coming minute's
 * warm-up pings and the shared-cache entries to reload ahead of their expiry, stores the plan, answers with it at
 * once, and sends each ping and reload at its planned instant in the background (EdgeRuntime.waitUntil),
 * recording what each found. GET /plan shows what a run would plan, without storing or sending anything. The
 * functions it may ping are listed and registered with GET and PUT /targets, the cache's named loaders with GET
 * and PUT /loaders. Every route takes a secret key only. API: docs/functions.md. A run plans and sends on the
 * warmer's clock (shared/clock.ts), read once per run: wall-clock time, unless a replay speeds it up.
 */

const name = "warmer";

/**
 * What the warmer app reads and writes, injected so that tests can run it in process. Self-instrumentation
 * (`reporter`), the authenticator and the clock default as in createFunctionApp().
 */
export interface WarmerDeps
  extends Pick<FunctionAppOptions, "reporter" | "authenticator" | "now" | "prepareOnWarmup"> {
  /** Targets, what is known about them, the planned pings and runs. */
  store: WarmerStore;
  /** The cache's named loaders and the entries they may reload. */
  refreshes: RefreshStore;
  /** How reloads run (concurrency, the loader's timeout); the clock is the run's. */
  refreshSender: Omit<RefreshSenderOptions, "clock">;
  /** The stored config: whether the module is on, the ping budget and the priority. */
  config: Pick<ConfigAccess, "readConfig">;
  /** Where and how pings go (the project's URL, headers, timeout, concurrency, HTTP client); the clock is the run's. */
  sender: Omit<PingSenderOptions, "clock">;
  /** The warmer's clock (optimizer.clock); absent: wall-clock time from `now`. */
  clock?: () => Promise<Clock>;
  /** Keeps the isolate alive while the pings are sent (EdgeRuntime.waitUntil on the platform). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** Told how each run's sending went (logged by the deployed function). */
  onSent?: (runId: string, summary: SendSummary | Error) => void;
  /**
   * The age of the worker serving this app in wall-clock ms (shared/http/warmup.ts workerAgeMs()): a run plans
   * no ping it will not live to send. Absent: the whole minute is planned (tests in process, whose process
   * outlives any worker).
   */
  workerAgeMs?: () => number;
  /** Told how each run's reloads went. */
  onRefreshed?: (runId: string, summary: RefreshSummary | Error) => void;
}

/** The warmer app over the given store. */
export function createWarmerApp(deps: WarmerDeps): FunctionApp {
  const { store, refreshes, config, sender, waitUntil } = deps;
  const now = deps.now ?? (() => new Date());
  const runClock = deps.clock ?? (() => Promise.resolve(wallClock(() => now().getTime())));
  // the sending worker's age on the run's clock
  const senderAgeMs = (clock: Clock) => {
    const age = deps.workerAgeMs?.();
    return age === undefined ? null : age * clock.rate;
  };
  const app = createFunctionApp({
    name,
    reporter: deps.reporter ?? null,
    authenticator: deps.authenticator,
    now,
    prepareOnWarmup: deps.prepareOnWarmup,
  });

  app.post("/run", requireAuth("secret"), query(WarmerRunQuerySchema), async (c) => {
    const { config: current } = await config.readConfig();
    if (!current.modules.warmer) {
      return c.json(
        errorBody(c, "modules.warmer is off: turn it on with PUT /status/config to send warm-up pings"),
        409,
      );
    }
    const clock = await runClock();
    const { summary, toSend, toRefresh } = await runWarmer(store, refreshes, {
      trigger: c.req.valid("query").trigger,
      now: new Date(clock.now()),
      config: current,
      senderAgeMs: senderAgeMs(clock),
    });
    // The answer does not wait for the pings: they go at their instants within the coming minute.
    const sending = sendPings(toSend, { ...sender, clock }, store).then(
      (sent) => deps.onSent?.(summary.runId, sent),
      (error) => deps.onSent?.(summary.runId, error instanceof Error ? error : new Error(String(error))),
    );
    waitUntil(sending);
    // Each reload is a metric event (system cache, kind refresh), so the cache's reports see what it did.
    const reloading = sendRefreshes(
      toRefresh,
      refreshes,
      { ...deps.refreshSender, clock },
      // metric events carry wall-clock time: the store puts them on the clock
      (refresh, outcome, latencyMs) =>
        deps.reporter?.record({
          occurredAt: now().toISOString(),
          system: "cache",
          target: refresh.namespace,
          kind: "refresh",
          latencyMs,
          error: typeof outcome !== "string",
          coldStart: false,
          attrs: { outcome: typeof outcome === "string" ? outcome : "error" },
        }),
    ).then(
      (done) => deps.onRefreshed?.(summary.runId, done),
      (error) => deps.onRefreshed?.(summary.runId, error instanceof Error ? error : new Error(String(error))),
    ).then(() => deps.reporter?.settled());
    waitUntil(reloading);
    return c.json({ ...summary, requestId: c.get("requestId") });
  });

  // What a run would plan now, whether or not the module is on: nothing is stored or sent.
  app.get("/plan", requireAuth("secret"), async (c) => {
    const { config: current } = await config.readConfig();
    const clock = await runClock();
    const plan = await planWarmerWindow(store, refreshes, new Date(clock.now()), current, senderAgeMs(clock));
    return c.json({ ...showPlan(plan), requestId: c.get("requestId") });
  });

  app.get("/targets", requireAuth("secret"), async (c) => {
    return c.json({ targets: await store.listTargets(), requestId: c.get("requestId") });
  });

  app.put(
    "/targets/:name",
    requireAuth("secret"),
    params(WarmTargetParamsSchema),
    limitBody(1024),
    jsonBody(WarmTargetBodySchema),
    async (c) => {
      const target = await store.putTarget(c.req.valid("param").name, c.req.valid("json").enabled);
      return c.json({ target, requestId: c.get("requestId") });
    },
  );

  app.get("/loaders", requireAuth("secret"), async (c) => {
    return c.json({ loaders: await refreshes.listLoaders(), requestId: c.get("requestId") });
  });

  app.put(
    "/loaders/:namespace",
    requireAuth("secret"),
    params(CacheLoaderParamsSchema),
    limitBody(1024),
    jsonBody(CacheLoaderBodySchema),
    async (c) => {
      const { enabled, ...loader } = c.req.valid("json");
      const saved = await refreshes.putLoader(c.req.valid("param").namespace, loader, enabled);
      if ("problem" in saved) {
        return c.json(
          errorBody(c, `${"function" in loader ? "function" : "endpoint"}: ${saved.problem}`),
          422,
        );
      }
      return c.json({ loader: saved, requestId: c.get("requestId") });
    },
  );

  return app;
}

/** The deployed wiring: Postgres from OPTIMIZER_DB_URL or SUPABASE_DB_URL, pings to SUPABASE_URL. */
function liveWarmerApp(): FunctionApp {
  const sql = createSql({ functionName: name });
  const baseUrl = Deno.env.get("SUPABASE_URL");
  if (!baseUrl) throw new Error("SUPABASE_URL is not set: the warmer pings /functions/v1/<name> under it");
  // An app function with the platform's JWT check on needs a JWT even for a ping: the legacy anon key is one.
  const anonKey = Deno.env.get("SUPABASE_ANON_KEY");
  return createWarmerApp({
    store: createWarmerStore(sql),
    // App endpoint loaders are called with the secret key: they answer any key's value to the suite alone.
    refreshes: createRefreshStore(sql, {
      baseUrl,
      headers: { apikey: projectSecretKey((name) => Deno.env.get(name)) ?? "" },
      fetch: globalThis.fetch.bind(globalThis),
    }),
    refreshSender: refreshSenderDefaults,
    clock: () => readClock(sql),
    config: createStatusStore(sql),
    reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
    prepareOnWarmup: () => sql`select 1`,
    sender: {
      ...pingSenderDefaults,
      baseUrl,
      headers: anonKey ? { authorization: `Bearer ${anonKey}`, apikey: anonKey } : {},
      fetch: globalThis.fetch.bind(globalThis),
    },
    // without the Edge Runtime (plain Deno) the promise runs on while the process lives
    waitUntil: edgeRuntimeWaitUntil() ?? (() => {}),
    workerAgeMs,
    onSent: (runId, outcome) => {
      if (outcome instanceof Error) console.error(`warmer run ${runId}: sending failed: ${outcome.message}`);
      else if (outcome.unrecorded > 0) {
        console.error(
          `warmer run ${runId}: ${outcome.unrecorded} outcomes not stored: ${outcome.lastRecordError}`,
        );
      }
    },
    onRefreshed: (runId, outcome) => {
      if (outcome instanceof Error) {
        console.error(`warmer run ${runId}: reloading failed: ${outcome.message}`);
      } else if (outcome.error) console.error(`warmer run ${runId}: ${outcome.error} reloads failed`);
    },
  });
}

let live: FunctionApp | undefined;

// Served by the runtime (hosted Edge Runtime and the local gateway both take a default export with fetch);
// built on the first request, so importing this module (as tests do) needs no environment.
export default {
  fetch: (request: Request): Response | Promise<Response> => (live ??= liveWarmerApp()).fetch(request),
};
