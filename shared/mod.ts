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
 * - `finding/`: the one shape of everything the suite reports or does;
 * - `recommendations/`: the analyzers' contract, the run that merges their findings into stored ones, the
 *   findings store, applying and rolling back findings, and the seed's result shape;
 * - `advisor/`: the workload index advisor (generic plans, hypopg, whole-workload selection);
 * - `db_health/`: index lifecycle and database health (unused, duplicate, redundant and invalid indexes,
 *   unindexed foreign keys, bloat, cache hit ratio, connections, sessions);
 * - `measure/`, `rls/`, `query_shape/`: measured analyzers (EXPLAIN ANALYZE in rolled-back transactions) of row
 *   level security policies and of wide result columns;
 * - `analyze/`: the cache analyzer (per namespace) and the edge analyzer (per function);
 * - `correlate/`: cross-system rules on aligned per-minute series;
 * - `forecast/`: per-minute demand forecasts (naive, exponential smoothing, Holt-Winters) with the model
 *   chosen per series by a rolling-origin backtest, and prediction intervals; the predictive refresh that
 *   stores them and scores them once their minutes have happened; the predictive run that also acts on them;
 * - `buffers/`: database buffer warming: the tables to load with pg_prewarm ahead of recurring buffer-cache dips
 *   whose statements are forecast to spike;
 * - `cache/`: a cache that survives isolate recycling: a per-isolate LRU in front of a shared tier in Postgres,
 *   with TTL, tags, stale-while-revalidate, single flight and a size budget, and refresh-ahead of the entries
 *   likely to be read, through loaders registered by name;
 * - `warm/`: the warm planner (when to ping a function, with the chance and milliseconds each ping is worth),
 *   the arrival-rate and idle-gap estimates it reads, and the warming policies it is compared with;
 * - `resilience/`: circuit breakers (cockatiel's) whose state every isolate shares through Postgres, and the
 *   metric events of their transitions and rejected calls;
 * - `system/`: system-wide runs: candidate actions gathered from every module, scored for a priority with
 *   conflicts and limits resolved, applied within a deadline up to a target gain, and rolled back by run.
 *
 * @module
 */

export {
  type AppEnv,
  createFunctionApp,
  errorBody,
  type FunctionApp,
  type FunctionAppOptions,
  issuesResponse,
  jsonBody,
  limitBody,
  params,
  query,
  type Validator,
} from "./http/app.ts";
export {
  type AuthDecision,
  type Authenticator,
  type AuthenticatorOptions,
  type AuthEnv,
  type AuthMode,
  type AuthResult,
  type AuthVariables,
  createAuthenticator,
  type JsonWebKeySet,
  requireAuth,
  type UserClaims,
} from "./http/auth.ts";
export { type FieldIssue, fieldIssues, type ValidationFailure } from "./http/validation.ts";
export { edgeRuntimeWaitUntil } from "./http/wait_until.ts";
export { isWarmupRequest, warmupResponse, workerAgeMs } from "./http/warmup.ts";
export { projectSecretKey } from "./http/project_secret_key.ts";

export { createSql, type DbOptions, type Sql } from "./db/client.ts";
export { type Clock, type ClockSetting, readClock, settingClock, wallClock } from "./clock.ts";
export type { RunLog, RunTrigger } from "./db/run_log.ts";

export { cached } from "./config/cached.ts";
export {
  type AlertsConfig,
  defaultConfig,
  type IngestConfig,
  type IntervalsConfig,
  type LimitsConfig,
  type ModuleName,
  moduleNames,
  type ModulesConfig,
  type OptimizationConfig,
  type OptimizationConfigInput,
  OptimizationConfigSchema,
  type OptimizationPriority,
  type OptimizationSettings,
  parseConfig,
  type PlatformConfig,
  priorities,
  type RecommendationsConfig,
  type RetentionConfig,
  type VerificationConfig,
} from "./config/config.ts";

export {
  checkEventCounts,
  checkEventSystems,
  checkEventTimes,
  type IngestLimits,
  ingestLimits,
  type IngestSettings,
  type MetricBatch,
  type MetricBatchInput,
  MetricBatchSchema,
  type MetricEvent,
  type MetricEventInput,
  type MetricStorageRow,
  type MetricSystem,
  metricSystems,
  reporterOf,
  toStorageRows,
} from "./metrics/metric_event.ts";
export {
  createMetricReporter,
  httpSink,
  type HttpSinkOptions,
  type MetricReporter,
  type MetricReporterOptions,
  type MetricSink,
  RejectedBatchError,
  type ReporterCounters,
  sqlSink,
} from "./metrics/metric_reporter.ts";
export { instrument, type InstrumentOptions } from "./metrics/instrument.ts";
export {
  type BatchOptions,
  type BatchOutcome,
  createMetricStore,
  type MetricStore,
} from "./metrics/metric_store.ts";
export type { Histogram } from "./metrics/latency_histogram.ts";
export { type UserPurgeParams, UserPurgeParamsSchema, type UserPurgeResult } from "./metrics/metric_purge.ts";
export {
  type MetricSeriesRow,
  type Series,
  type SeriesBucket,
  seriesFromRollups,
  SeriesQuerySchema,
  type SeriesStats,
  type SeriesWindow,
} from "./metrics/series.ts";

export {
  type ActionCheck,
  type ActionCheckRow,
  type Alert,
  type AlertRow,
  type BreakerActivity,
  type BreakerActivityRow,
  type BufferLoad,
  type BufferLoadRow,
  type CacheActivity,
  type CacheActivityRow,
  type CronJob,
  type CronJobRow,
  type ForecastAccuracy,
  type ForecastAccuracyRow,
  type LastRun,
  type PipelineHealth,
  type RunRow,
  type StatusOverview,
  type StatusReport,
  statusReport,
  type WarmActivity,
  type WarmActivityRow,
} from "./status/status_report.ts";
export {
  type RateDirection,
  type RatePoint,
  type RateSeriesRow,
  type RateTrend,
  rateTrendDefaults,
  type RateTrendOptions,
  rateTrends,
} from "./status/rate_trend.ts";
export { createStatusStore, type StatusStore, type StoredConfig } from "./status/status_store.ts";

export {
  type Action,
  createFinding,
  type EstimatedGain,
  estimatedGain,
  type Evidence,
  type Finding,
  type FindingInput,
  FindingSchema,
  type FindingSystem,
  findingSystems,
  fingerprint,
  type Gain,
  type MeasuredGain,
  measuredGain,
  severities,
  type Severity,
  type Window,
} from "./finding/finding.ts";

export type { AnalysisContext, AnalysisResult, Analyzer, Rejection } from "./recommendations/analyzer.ts";
export {
  type FindingStatus,
  findingStatuses,
  mergeFindings,
  type MergeOutcome,
  type ReportedFinding,
  type StoredFindingState,
  type Transition,
} from "./recommendations/merge.ts";
export {
  analysisWindowMs,
  type AnalyzerReport,
  type AnalyzersOutcome,
  type AnalyzerStatus,
  runAnalyzers,
  type RunAnalyzersOptions,
} from "./recommendations/run.ts";
export { type RefreshOptions, refreshRecommendations, type RunSummary } from "./recommendations/refresh.ts";
export {
  type ApplyPlan,
  concurrentBuild,
  type ConfigPlan,
  type DropIndexPlan,
  type IndexPlan,
  patchConfig,
  planApply,
} from "./recommendations/apply_plan.ts";
export {
  type ActionOutcome,
  applyFinding,
  type ConfigAccess,
  rollbackFinding,
} from "./recommendations/apply.ts";
export {
  createRecommendationStore,
  type FindingEvent,
  type FindingFilter,
  type IndexDdlOutcome,
  type Leftover,
  type RecommendationStore,
  type Rollback,
  type StoredFinding,
} from "./recommendations/recommendation_store.ts";
export { type Priority, type RecommendationResult, recommendationResult } from "./recommendations/result.ts";
export {
  DismissBodySchema,
  FindingIdParamsSchema,
  FindingListQuerySchema,
  type RefreshQuery,
  RefreshQuerySchema,
} from "./recommendations/requests.ts";

export { createIndexAdvisor } from "./advisor/index_advisor.ts";
export { advisorDefaults, type AdvisorOptions } from "./advisor/options.ts";
export { writtenTables } from "./workload/written_tables.ts";
export { createDbHealthAnalyzer } from "./db_health/db_health_analyzer.ts";
export { dbHealthDefaults, type DbHealthOptions } from "./db_health/db_health_options.ts";
export { measureDefaults, type MeasureOptions } from "./measure/measure_options.ts";
export { createRlsAnalyzer, rlsAnalyzerDefaults, type RlsAnalyzerOptions } from "./rls/rls_analyzer.ts";
export {
  createQueryShapeAnalyzer,
  queryShapeAnalyzerDefaults,
  type QueryShapeAnalyzerOptions,
} from "./query_shape/query_shape_analyzer.ts";
export { createCacheAnalyzer } from "./analyze/cache_analyzer.ts";
export { cacheAnalyzerDefaults, type CacheAnalyzerOptions, cacheBudgetRule } from "./analyze/cache.ts";
export { createEdgeAnalyzer } from "./analyze/edge_analyzer.ts";
export { edgeAnalyzerDefaults, type EdgeAnalyzerOptions } from "./analyze/edge.ts";
export { createBreakerAnalyzer } from "./analyze/breaker_analyzer.ts";
export {
  analyzeWarmBudget,
  type BudgetedFunction,
  budgetedFunctions,
  maxWarmPingsPerHour,
  type PingLatencies,
  resolveWarmBudgetOptions,
  warmBudgetDefaults,
  type WarmBudgetInput,
  warmBudgetModel,
  type WarmBudgetOptions,
  warmBudgetRule,
  type WarmedFunction,
} from "./analyze/warm_budget.ts";
export { createWarmBudgetAnalyzer } from "./analyze/warm_budget_analyzer.ts";
export { breakerAnalyzerDefaults, type BreakerAnalyzerOptions } from "./analyze/breaker.ts";
export { createCorrelationAnalyzer } from "./correlate/correlation_analyzer.ts";
export { correlationAnalyzerDefaults, type CorrelationAnalyzerOptions } from "./correlate/correlate.ts";

export {
  type Forecast,
  forecastDefaults,
  type ForecastOptions,
  type ForecastPoint,
  forecastSeries,
  type ModelVerdict,
} from "./forecast/forecast.ts";
export type { ModelName } from "./forecast/model.ts";
export { type CountPoint, type CountSeries, fromFirstEvent, regularSeries } from "./forecast/series.ts";
export { type ReferenceForecast, referenceForecast } from "./forecast/reference.ts";
export {
  createForecastStore,
  type ForecastStore,
  type ForecastTarget,
  type StoredForecast,
} from "./forecast/forecast_store.ts";
export {
  forecastHistoryWindow,
  forecastKinds,
  forecastRefreshDefaults,
  type ForecastRefreshInput,
  type ForecastRefreshOptions,
  type ForecastRefreshSummary,
  forecastTarget,
  refreshForecasts,
  type TargetForecast,
} from "./forecast/refresh_forecasts.ts";
export {
  type ForecastQuery,
  ForecastQuerySchema,
  PredictiveRefreshQuerySchema,
} from "./forecast/requests.ts";
export {
  predictiveBufferSettings,
  type PredictiveRunDeps,
  type PredictiveRunInput,
  type PredictiveRunResult,
  runPredictive,
} from "./forecast/predictive_run.ts";
export { prewarmFinding, prewarmRule, prewarmSubject } from "./buffers/prewarm_finding.ts";
export {
  loadKey,
  type PlannedPrewarm,
  planPrewarm,
  prewarmDefaults,
  type PrewarmInput,
  type PrewarmOptions,
  type PrewarmPlan,
  type PrewarmRejection,
  type RelationState,
  type StatementTables,
} from "./buffers/plan_prewarm.ts";
export {
  type SlotStatement,
  slotStatements,
  type SpikeOptions,
  type StatementOutlook,
  statementOutlook,
} from "./buffers/statement_spikes.ts";
export type { BufferDip, BufferDipOptions, BufferDipReport, RecurringSlot } from "./correlate/buffer_dips.ts";
export {
  createPrewarmStore,
  type DipLookup,
  type PrewarmRecord,
  type PrewarmStore,
  type SettledPrewarm,
} from "./buffers/prewarm_store.ts";

export { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "./time.ts";

export {
  type CacheRead,
  type CacheSource,
  createSharedCache,
  type LoadOptions,
  type SharedCache,
  sharedCacheDefaults,
  type SharedCacheDeps,
  type SharedCacheOptions,
} from "./cache/shared_cache.ts";
export {
  minReadChanceByPriority,
  type NamespaceLookupCosts,
  type PlannedRefresh,
  planRefreshes,
  type RefreshCandidate,
  type RefreshPlan,
  refreshPlanDefaults,
  type RefreshPlanOptions,
  type RefreshSkip,
} from "./cache/plan_refreshes.ts";
export {
  type CacheLoader,
  createRefreshStore,
  type EndpointCaller,
  type LoaderSpec,
  type RefreshOutcome,
  type RefreshStore,
} from "./cache/refresh_store.ts";
export {
  planCacheRefreshes,
  refreshSenderDefaults,
  type RefreshSenderOptions,
  type RefreshSummary,
  sendRefreshes,
} from "./cache/refresh_ahead.ts";

export {
  arrivalRateDefaults,
  type ArrivalRateOptions,
  ArrivalRates,
  GrowingMinuteCounts,
  type MinuteCounts,
} from "./warm/arrival_rate.ts";
export { IdleGaps, idleGapsDefaults, type IdleGapsOptions } from "./warm/idle_gaps.ts";
export {
  type ExpectedArrivals,
  minBenefitByPriority,
  type NextPing,
  nextPing,
  type PingKind,
  type PingPlanOptions,
  type PlannedPing,
} from "./warm/next_ping.ts";
export { plannerPolicy, plannerPolicyDefaults, type PlannerPolicyOptions } from "./warm/planner_policy.ts";
export { warmerPolicy } from "./warm/warmer_policy.ts";
export { buys, type PaceBar, paceBudget, type Pacing, windowCap } from "./warm/pace_budget.ts";
export {
  estimateWorker,
  likelierArrivals,
  minGaps,
  planWarmups,
  type WarmPing,
  type WarmPingKind,
  type WarmPlan,
  warmPlanDefaults,
  type WarmPlanOptions,
  type WarmSkip,
  type WarmTargetInput,
} from "./warm/plan_warmups.ts";
export {
  createWarmerStore,
  type PingOutcome,
  warmerHistory,
  type WarmerStore,
  type WarmTarget,
} from "./warm/warmer_store.ts";
export {
  type PingLog,
  pingSenderDefaults,
  type PingSenderOptions,
  type PingToSend,
  sendPings,
  type SendSummary,
} from "./warm/send_pings.ts";
export {
  planWarmerWindow,
  type PlanWindow,
  type RefreshPlanShown,
  runWarmer,
  type ShownPing,
  showPlan,
  type WarmerPlan,
  type WarmerRunSummary,
} from "./warm/warmer_run.ts";
export {
  type CacheLoaderBody,
  CacheLoaderBodySchema,
  CacheLoaderParamsSchema,
  WarmerRunQuerySchema,
  WarmTargetBodySchema,
  WarmTargetParamsSchema,
} from "./warm/requests.ts";
export { histogramDefaults, type HistogramOptions, histogramPolicy } from "./warm/histogram_policy.ts";
export { fixedInterval } from "./warm/fixed_interval.ts";
export type { TimeSeriesView, WarmingContext, WarmingDecide, WarmingPolicy } from "./warm/policy.ts";
export {
  defaultWorkerOptions,
  hostedMaxLifetimeMs,
  resolveWorkerOptions,
  type Retirement,
  type WorkerOptions,
  type WorkerView,
} from "./warm/worker_model.ts";
export {
  type BreakerStore,
  createBreakerStore,
  type StoredBreakerState,
} from "./resilience/breaker_store.ts";
export {
  type BreakerEvent,
  type BreakerRule,
  type BreakerStateName,
  createSharedBreaker,
  isBrokenCircuit,
  type SharedBreaker,
  sharedBreakerDefaults,
  type SharedBreakerOptions,
} from "./resilience/shared_breaker.ts";
export {
  breakerCallKind,
  breakerMetricEvents,
  type BreakerMetricEventsOptions,
  breakerRejectedKind,
  breakerTransitionKind,
} from "./resilience/breaker_events.ts";
export {
  type BufferLoadPlan,
  type CandidateCosts,
  type CandidateFacts,
  type CandidatePlan,
  durationModel,
  indexKeys,
  moduleOf,
  riskPoints,
  type SystemCandidate,
  toCandidate,
} from "./system/candidate.ts";
export {
  gatherPrewarms,
  type PredictiveSource,
  prewarmCandidate,
  type PrewarmContext,
  type PrewarmGathering,
} from "./system/predictive_candidates.ts";
export {
  conflict,
  type PlannedAction,
  type PlanOptions,
  type PlanStep,
  planSystemRun,
  priorityWeights,
  type RejectedCandidate,
  scoreCandidate,
  type SystemPlan,
} from "./system/plan_system_run.ts";
export {
  type AppliedOptimization,
  type ExecuteOptions,
  executePlan,
  type Execution,
  type SkipKind,
  type SkippedAction,
  type StepOutcome,
  targetVerdict,
} from "./system/execute_plan.ts";
export {
  type PlannedActionView,
  recordingReserveMs,
  rollbackSystemRun,
  type RolledBackAction,
  runSystemOptimization,
  systemGainModel,
  type SystemRunDeps,
  type SystemRunRequestInfo,
  type SystemRunResult,
  verificationShare,
} from "./system/system_run.ts";
export {
  resolveSystemRun,
  type SystemModule,
  systemModules,
  SystemRunIdParamsSchema,
  SystemRunListQuerySchema,
  type SystemRunOptions,
  SystemRunQuerySchema,
  type SystemRunRequest,
  SystemRunRequestSchema,
} from "./system/system_options.ts";
export { createSystemStore, type SystemRunRecord, type SystemStore } from "./system/system_store.ts";
export {
  type ActionCheckRecord,
  type AppliedBuild,
  type AppliedCacheBudget,
  type AppliedFinding,
  type AppliedWarmBudget,
  type CheckRow,
  type CheckStore,
  createCheckStore,
} from "./system/check_store.ts";
export {
  type BudgetCheck,
  checkIndexBuild,
  type IndexCheck,
  type IndexCheckInput,
  indexGainMethod,
  type ServedCalls,
  type StatementTimes,
} from "./system/verify_gain.ts";
export {
  checkWarmBudget,
  type ColdStartCounts,
  type WarmBudgetCheck,
  type WarmBudgetCheckInput,
  warmBudgetGainMethod,
} from "./system/check_warm_budget.ts";
export {
  type CacheBudgetCheck,
  type CacheBudgetCheckInput,
  cacheBudgetGainMethod,
  checkCacheBudget,
  type LookupCounts,
} from "./system/check_cache_budget.ts";
export {
  cacheBudgetKind,
  type DeferredCheck,
  type EstimatorError,
  estimatorError,
  type EstimatorErrorPoint,
  estimatorErrorSeries,
  indexBuildKind,
  type Verification,
  verifyAppliedActions,
  type VerifyBounds,
  type VerifyDeps,
  warmBudgetKind,
} from "./system/verify_actions.ts";
