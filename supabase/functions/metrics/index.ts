import { createFunctionApp, issuesResponse, jsonBody, limitBody, query } from "../../../shared/app.ts";
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
import { MINUTE_MS } from "../../../shared/time.ts";
import { createMetricStore } from "../../../shared/metric_store.ts";
import { seriesFromRollups, SeriesQuerySchema } from "../../../shared/series.ts";
import { createStatusStore } from "../../../shared/status_store.ts";

/** The metrics function: ingest events (POST /) and read time series (GET /). API: docs/functions.md. */

const name = "metrics";
const sql = createSql({ functionName: name });
const store = createMetricStore(sql);
const statusStore = createStatusStore(sql);
// Retention bounds how old an event may be; it changes rarely, so it is read at most once a minute.
const rawEventsDays = cached(
  async () => (await statusStore.readConfig()).config.retention.rawEventsDays,
  MINUTE_MS,
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

Deno.serve(app.fetch);
