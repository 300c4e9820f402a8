/**
 * The core library's public surface: what the suite's edge functions build on and what an app's own
 * functions may use (`instrument()`). Modules under `shared/<domain>/` are internal; import them from here.
 *
 * Domains:
 * - `http/`: the Hono app factory every function is built on (request ids, JSON errors, validation, warm-up
 *   answers, self-instrumentation) and who is calling (`requireAuth`);
 * - `db/`: the Postgres client (bounded pool wait, lazy connect) and what Postgres can store;
 * - `config/`: the OptimizationConfig schema with every default;
 * - `metrics/`: metric events, the batching reporter, `instrument()`, the metric store, series, histograms;
 * - `status/`: pipeline health and the status report;
 * - `finding/`: the one shape of everything the suite reports or does.
 *
 * @module
 */

export {
  createFunctionApp,
  errorBody,
  type FunctionApp,
  type FunctionAppOptions,
  issuesResponse,
  jsonBody,
  limitBody,
  params,
  query,
} from "./http/app.ts";
export {
  type Authenticator,
  type AuthMode,
  type AuthResult,
  createAuthenticator,
  requireAuth,
} from "./http/auth.ts";
export { type FieldIssue, fieldIssues } from "./http/validation.ts";
export { isWarmupRequest, warmupResponse } from "./http/warmup.ts";

export { createSql, type DbOptions, type Sql } from "./db/client.ts";

export { cached } from "./config/cached.ts";
export {
  defaultConfig,
  type ModuleName,
  moduleNames,
  type OptimizationConfig,
  type OptimizationConfigInput,
  OptimizationConfigSchema,
  parseConfig,
} from "./config/config.ts";

export {
  checkEventCounts,
  checkEventSystems,
  checkEventTimes,
  ingestLimits,
  MetricBatchSchema,
  type MetricEvent,
  type MetricEventInput,
  MetricEventSchema,
  type MetricSystem,
  metricSystems,
  reporterOf,
  toStorageRows,
} from "./metrics/metric_event.ts";
export {
  createMetricReporter,
  httpSink,
  type MetricReporter,
  type MetricReporterOptions,
  type MetricSink,
  RejectedBatchError,
  sqlSink,
} from "./metrics/metric_reporter.ts";
export { instrument, type InstrumentOptions } from "./metrics/instrument.ts";
export { createMetricStore, type MetricStore } from "./metrics/metric_store.ts";
export { UserPurgeParamsSchema, type UserPurgeResult } from "./metrics/metric_purge.ts";
export { type Series, seriesFromRollups, SeriesQuerySchema, type SeriesWindow } from "./metrics/series.ts";

export { type StatusReport, statusReport } from "./status/status_report.ts";
export { createStatusStore, type StatusStore, type StoredConfig } from "./status/status_store.ts";

export {
  type Action,
  createFinding,
  estimatedGain,
  type Finding,
  FindingSchema,
  fingerprint,
  type Gain,
  measuredGain,
} from "./finding/finding.ts";

export { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "./time.ts";
