import {
  createFunctionApp,
  errorBody,
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
  ingestLimits,
  MetricBatchSchema,
  reporterOf,
  toStorageRows,
} from "../../../shared/metric_event.ts";
import { createMetricReporter, sqlSink } from "../../../shared/metric_reporter.ts";
import { MINUTE_MS } from "../../../shared/time.ts";
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
// Retention and the ingest settings bound what may be reported; they change rarely, so the config is read at
// most once a minute.
const config = cached(async () => (await statusStore.readConfig()).config, MINUTE_MS);

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
    const { batchId, events } = c.req.valid("json");
    const { retention, ingest } = await config();
    const limits = ingestLimits(auth, ingest);
    if (limits.refused !== null) return c.json(errorBody(c, limits.refused), 403);
    const forbidden = checkEventSystems(events, auth.mode);
    if (forbidden.length > 0) {
      return issuesResponse(
        c,
        forbidden,
        403,
        "this credential may not report some of these events: see issues",
      );
    }
    const outOfRange = checkEventTimes(events, new Date(), retention.rawEventsDays, limits.windowMinutes);
    if (outOfRange.length > 0) return issuesResponse(c, outOfRange, 400, "invalid request body: see issues");
    if (limits.eventsPerMinute !== null && events.length > limits.eventsPerMinute) {
      const message = `must hold at most ${limits.eventsPerMinute} events, a user's limit per minute ` +
        "(ingest.userEventsPerMinute): split the batch";
      return issuesResponse(c, [{ path: "events", message }], 400, "invalid request body: see issues");
    }
    const reporter = reporterOf(auth);
    const outcome = await store.ingest(toStorageRows(events), reporter, {
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
