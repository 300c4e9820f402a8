import {
  createFunctionApp,
  issuesResponse,
  jsonBody,
  limitBody,
  params,
  query,
} from "../../../shared/app.ts";
import { requireAuth } from "../../../shared/auth.ts";
import { cached } from "../../../shared/cached.ts";
import { createSql } from "../../../shared/db.ts";
import {
  checkEventSystems,
  checkEventTimes,
  MetricBatchSchema,
  reporterOf,
  toStorageRows,
} from "../../../shared/metric_event.ts";
import { createMetricReporter, sqlSink } from "../../../shared/metric_reporter.ts";
import { createMetricStore } from "../../../shared/metric_store.ts";
import { UserPurgeParamsSchema } from "../../../shared/metric_purge.ts";
import { seriesFromRollups, SeriesQuerySchema } from "../../../shared/series.ts";
import { createStatusStore } from "../../../shared/status_store.ts";

/**
 * The metrics function: ingest events (POST /), read time series (GET /) and purge one user's events
 * (DELETE /users/:userId). API: docs/functions.md.
 */

const name = "metrics";
const sql = createSql({ functionName: name });
const store = createMetricStore(sql);
const statusStore = createStatusStore(sql);
// Retention bounds how old an event may be; it changes rarely, so it is read at most once a minute.
const rawEventsDays = cached(
  async () => (await statusStore.readConfig()).config.retention.rawEventsDays,
  60_000,
);

const app = createFunctionApp({
  name,
  reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
});

app.post(
  "/",
  requireAuth("secret", "user"),
  limitBody(1024 * 1024),
  jsonBody(MetricBatchSchema),
  async (c) => {
    const auth = c.get("auth");
    const { events } = c.req.valid("json");
    const forbidden = checkEventSystems(events, auth.mode);
    if (forbidden.length > 0) {
      return issuesResponse(
        c,
        forbidden,
        403,
        "this credential may not report some of these events: see issues",
      );
    }
    const outOfRange = checkEventTimes(events, new Date(), await rawEventsDays());
    if (outOfRange.length > 0) return issuesResponse(c, outOfRange, 400, "invalid request body: see issues");
    const accepted = await store.ingest(toStorageRows(events), reporterOf(auth));
    return c.json({ accepted, requestId: c.get("requestId") }, 202);
  },
);

app.get("/", requireAuth("secret"), query(SeriesQuerySchema), async (c) => {
  const window = c.req.valid("query");
  const rows = await store.series(window);
  return c.json({ ...seriesFromRollups(rows, window), requestId: c.get("requestId") });
});

// Purges one user's events from raw events and every rollup tier: secret key only, as it deletes data
// any user reported and series of the whole project change.
app.delete("/users/:userId", requireAuth("secret"), params(UserPurgeParamsSchema), async (c) => {
  const { userId } = c.req.valid("param");
  return c.json({ ...(await store.purgeUser(userId)), requestId: c.get("requestId") });
});

Deno.serve(app.fetch);
