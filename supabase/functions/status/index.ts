import { createFunctionApp, jsonBody, limitBody } from "../../../shared/app.ts";
import { requireAuth } from "../../../shared/auth.ts";
import { OptimizationConfigSchema } from "../../../shared/config.ts";
import { createSql } from "../../../shared/db.ts";
import { reporterOf } from "../../../shared/metric_event.ts";
import { createMetricReporter, sqlSink } from "../../../shared/metric_reporter.ts";
import { statusReport } from "../../../shared/status_report.ts";
import { createStatusStore } from "../../../shared/status_store.ts";

/** The status function: what runs, data volumes, pipeline health (GET /), the config (GET/PUT /config). */

const name = "status";
const sql = createSql({ functionName: name });
const store = createStatusStore(sql);

const app = createFunctionApp({
  name,
  reporter: createMetricReporter({ sink: sqlSink(sql, `function:${name}`) }),
});

app.get("/", requireAuth("secret"), async (c) => {
  const [overview, stored] = await Promise.all([store.overview(), store.readConfig()]);
  return c.json({ ...statusReport(overview, stored.config, new Date()), requestId: c.get("requestId") });
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

Deno.serve(app.fetch);
