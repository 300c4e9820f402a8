import assert from "node:assert/strict";
import { defaultConfig, parseConfig } from "../../shared/config/config.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { MINUTE_MS } from "../../shared/time.ts";
import {
  type CronJobRow,
  pipelineHealth,
  pipelineJobs,
  type StatusOverview,
  statusReport,
} from "../../shared/status/status_report.ts";

const now = new Date("2025-06-01T12:00:00Z");
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

function job(jobname: string, fields: Partial<CronJobRow> = {}): CronJobRow {
  return {
    jobname,
    schedule: "* * * * *",
    active: true,
    last_status: "succeeded",
    last_start: ago(30),
    last_end: ago(29),
    last_message: "1 row",
    failures_24h: 0,
    ...fields,
  };
}

function overview(fields: Partial<StatusOverview> = {}): StatusOverview {
  return {
    generated_at: now.toISOString(),
    volumes: { events_estimate: 1000, events_pending_rollup: 0 },
    rollups: { newest_minute: ago(120) },
    snapshots: { newest_at: ago(200) },
    cron_jobs: pipelineJobs.map((name) => job(name)),
    modules: {
      monitoring: {
        trigger: "cron",
        status: "succeeded",
        started_at: ago(30),
        finished_at: ago(29),
        summary: { step: "rollup" },
        error: null,
      },
    },
    ...fields,
  };
}

const details = (findings: { detail: string }[]) => findings.map((finding) => finding.detail);

Deno.test("pipelineHealth() is healthy when every job ran recently, whatever the age of the newest data", () => {
  const { health, findings } = pipelineHealth(
    overview({ rollups: { newest_minute: ago(86_400) } }),
    defaultConfig,
    now,
  );
  assert.deepEqual(findings, []);
  assert.equal(health.healthy, true);
  assert.equal(health.newestRollupAgeSeconds, 86_400);
  assert.equal(health.newestSnapshotAgeSeconds, 200);
});

Deno.test("pipelineHealth() explains a missing, inactive or failing job", () => {
  const { health, findings } = pipelineHealth(
    overview({
      cron_jobs: [
        job("optimizer-alerts"),
        job("optimizer-cache-evict"),
        job("optimizer-db-snapshot", { active: false }),
        job("optimizer-ingest-prune"),
        job("optimizer-index-usage"),
        job("optimizer-predictive"),
        job("optimizer-recommendations"),
        job("optimizer-rollup", {
          last_status: "failed",
          last_message: "ERROR: division by zero",
          failures_24h: "3",
        }),
        job("optimizer-system-wide"),
        job("optimizer-warmer"),
      ],
    }),
    defaultConfig,
    now,
  );
  assert.equal(health.healthy, false);
  assert.equal(health.cronFailures24h, 3);
  assert.deepEqual(findings.map((finding) => [finding.rule, finding.subject, finding.severity]), [
    ["pipeline.job-failing", "cron.job:optimizer-rollup", "critical"],
    ["pipeline.job-inactive", "cron.job:optimizer-db-snapshot", "critical"],
    ["pipeline.job-missing", "cron.job:optimizer-retention", "critical"],
  ]);
  assert.match(findings[0].detail, /optimizer-rollup failed on its last run .*division by zero/);
  assert.deepEqual(findings[0].evidence.statistic, {
    name: "failed runs in the last 24 h",
    value: 3,
    unit: "runs",
  });
  assert.match(findings[2].detail, /optimizer-retention does not exist: apply the migrations again/);
});

Deno.test("pipelineHealth() offers the SQL that reactivates an inactive job, with its rollback", () => {
  const { findings } = pipelineHealth(
    overview({
      cron_jobs: [
        job("optimizer-alerts"),
        job("optimizer-cache-evict"),
        job("optimizer-db-snapshot", { active: false }),
        job("optimizer-ingest-prune"),
        job("optimizer-index-usage"),
        job("optimizer-predictive"),
        job("optimizer-recommendations"),
        job("optimizer-retention"),
        job("optimizer-rollup"),
        job("optimizer-system-wide"),
        job("optimizer-warmer"),
      ],
    }),
    defaultConfig,
    now,
  );
  assert.deepEqual(findings[0].action, {
    kind: "sql",
    sql:
      "select cron.alter_job(j.jobid, active := true) from cron.job j where j.jobname = 'optimizer-db-snapshot';",
    rollback:
      "select cron.alter_job(j.jobid, active := false) from cron.job j where j.jobname = 'optimizer-db-snapshot';",
  });
  assert.equal(findings[0].autoApplicable, false);
});

Deno.test("pipelineHealth() findings are valid Findings about the suite itself, with no gain", () => {
  const { findings } = pipelineHealth(overview({ cron_jobs: [] }), defaultConfig, now);
  assert.equal(findings.length, pipelineJobs.length);
  for (const finding of findings) {
    assert.deepEqual(FindingSchema.parse(finding), finding);
    assert.equal(finding.system, "overall");
    assert.equal(finding.gain, null);
  }
});

Deno.test("pipelineHealth() gives a problem found again the same fingerprint", () => {
  const stale = (minutes: number) =>
    overview({
      cron_jobs: [
        job("optimizer-alerts"),
        job("optimizer-cache-evict"),
        job("optimizer-db-snapshot"),
        job("optimizer-ingest-prune"),
        job("optimizer-index-usage"),
        job("optimizer-predictive"),
        job("optimizer-recommendations"),
        job("optimizer-retention"),
        job("optimizer-rollup", { last_start: ago(minutes * 60) }),
        job("optimizer-system-wide"),
        job("optimizer-warmer"),
      ],
    });
  const [first] = pipelineHealth(stale(20), defaultConfig, now).findings;
  const [later] = pipelineHealth(stale(45), defaultConfig, new Date(now.getTime() + 25 * MINUTE_MS)).findings;
  assert.notEqual(later.detail, first.detail);
  assert.equal(later.fingerprint, first.fingerprint);
});

Deno.test("pipelineHealth() flags a rollup job that stopped running after pipelineStaleMinutes", () => {
  const config = parseConfig({ alerts: { pipelineStaleMinutes: 5 } });
  const stale = overview({
    cron_jobs: [
      job("optimizer-alerts"),
      job("optimizer-cache-evict"),
      job("optimizer-db-snapshot"),
      job("optimizer-ingest-prune"),
      job("optimizer-index-usage"),
      job("optimizer-predictive"),
      job("optimizer-recommendations"),
      job("optimizer-retention"),
      job("optimizer-rollup", { last_start: ago(600) }),
      job("optimizer-system-wide"),
      job("optimizer-warmer"),
    ],
  });
  const { findings } = pipelineHealth(stale, config, now);
  assert.deepEqual(details(findings), [
    "optimizer-rollup last ran 10 min ago (every minute expected, alert after 5 min): is pg_cron running?",
  ]);
  assert.deepEqual(findings[0].evidence.windows, [{ from: ago(600), to: now.toISOString() }]);
  assert.equal(pipelineHealth(stale, defaultConfig, now).health.healthy, true);
});

Deno.test("pipelineHealth() flags events waiting while the rollup runs but produces nothing new", () => {
  const { health, findings } = pipelineHealth(
    overview({ volumes: { events_pending_rollup: 5000 }, rollups: { newest_minute: ago(3600) } }),
    defaultConfig,
    now,
  );
  assert.deepEqual(health.eventsPendingRollup, 5000);
  assert.equal(findings[0].rule, "pipeline.rollup-stuck");
  assert.match(
    findings[0].detail,
    /^5000 events wait for the rollup, but the newest rolled-up minute is 60 min old/,
  );
});

Deno.test("pipelineHealth() flags snapshots older than twice their interval or the stale limit", () => {
  const { findings } = pipelineHealth(overview({ snapshots: { newest_at: ago(3600) } }), defaultConfig, now);
  assert.equal(findings[0].severity, "warning");
  assert.deepEqual(details(findings), [
    "the newest database snapshot is 60 min old (alert after 10 min): check the optimizer-db-snapshot job",
  ]);
});

Deno.test("statusReport() lists every module with its switch and last run", () => {
  const report = statusReport(overview(), defaultConfig, now);
  assert.deepEqual(report.modules.map((m) => [m.name, m.enabled, m.lastRun?.status ?? null]), [
    ["monitoring", true, "succeeded"],
    ["recommendations", true, null],
    ["predictive", true, null],
    ["warmer", false, null],
    ["cache", false, null],
    ["systemWide", false, null],
  ]);
  assert.deepEqual(report.volumes, { events_estimate: 1000, events_pending_rollup: 0 });
  assert.equal(report.config, defaultConfig);
  assert.deepEqual(report.findings, []);
  assert.equal(report.pipeline.healthy, true);
});

Deno.test("statusReport() gives each forecast series' accuracy in camelCase, counts as numbers", () => {
  const report = statusReport(
    overview({
      forecasts: [{
        system: "edge",
        target: "robots",
        kind: "request",
        forecasts: "3" as unknown as number,
        minutes: 360,
        mae: 1.5,
        reference_mae: 2,
        mase: 0.75,
        coverage: 0.8,
        model: "holt-winters-daily",
        reference: "seasonal-naive-daily",
      }],
    }),
    defaultConfig,
    now,
  );
  assert.deepEqual(report.forecasts, [{
    system: "edge",
    target: "robots",
    kind: "request",
    forecasts: 3,
    minutes: 360,
    mae: 1.5,
    referenceMae: 2,
    mase: 0.75,
    coverage: 0.8,
    model: "holt-winters-daily",
    reference: "seasonal-naive-daily",
  }]);
});

Deno.test("statusReport() gives each warm target's pings beside its measured cold starts, counts as numbers", () => {
  const report = statusReport(
    overview({
      warming: [{
        function_name: "robots",
        source: "app",
        enabled: true,
        planned: "44",
        sent: "38",
        dropped: "4",
        found_cold: "9",
        failed: "1",
        expected_cold_starts_avoided: 31.5,
        last_sent_at: "2026-11-28T11:59:10Z",
        requests: "5200",
        cold_starts: "12",
      }],
    }),
    defaultConfig,
    now,
  );
  assert.deepEqual(report.warming, [{
    functionName: "robots",
    source: "app",
    enabled: true,
    planned: 44,
    sent: 38,
    dropped: 4,
    foundCold: 9,
    failed: 1,
    expectedColdStartsAvoided: 31.5,
    lastSentAt: "2026-11-28T11:59:10Z",
    requests: 5200,
    coldStarts: 12,
  }]);
});

Deno.test("statusReport() lists the buffer loads with what each expected and what followed, counts as numbers", () => {
  const load = {
    relation: "public.robot_messages",
    slot: "07:30",
    slot_starts_at: "2026-11-28T07:30:00Z",
    loaded_at: "2026-11-28T07:15:02Z",
    blocks_loaded: "2500",
    expected_blocks_avoided: "1500",
    expected_saved_ms: null,
  };
  const report = statusReport(
    overview({
      buffer_loads: [
        { ...load, settled_at: "2026-11-28T08:15:00Z", hit_ratio_after: 0.997, blocks_read_after: "40" },
        {
          ...load,
          slot_starts_at: "2026-11-29T07:30:00Z",
          settled_at: null,
          hit_ratio_after: null,
          blocks_read_after: null,
        },
      ],
    }),
    defaultConfig,
    now,
  );
  assert.deepEqual(
    report.bufferLoads.map((
      l,
    ) => [l.blocksLoaded, l.expectedBlocksAvoided, l.hitRatioAfter, l.blocksReadAfter]),
    [
      [2500, 1500, 0.997, 40],
      [2500, 1500, null, null],
    ],
  );
});

Deno.test("statusReport() lists each cache namespace with its hit rate, reloads, size and loader", () => {
  const report = statusReport(
    overview({
      caching: [
        {
          namespace: "market.candles",
          lookups: "200",
          hits: "150",
          refreshes: "40",
          refresh_failures: "1",
          evictions: "0",
          entries: "12",
          bytes: "48000",
          loader: { function_name: "public.load_candles", endpoint: null, enabled: true },
        },
        {
          namespace: "robots.get",
          lookups: 0,
          hits: 0,
          refreshes: 0,
          refresh_failures: 0,
          evictions: 3,
          entries: 0,
          bytes: 0,
          loader: null,
        },
      ],
    }),
    defaultConfig,
    now,
  );
  assert.deepEqual(report.caching, [
    {
      namespace: "market.candles",
      lookups: 200,
      hits: 150,
      hitRate: 0.75,
      refreshes: 40,
      refreshFailures: 1,
      evictions: 0,
      entries: 12,
      bytes: 48000,
      loader: { functionName: "public.load_candles", endpoint: null, enabled: true },
    },
    {
      namespace: "robots.get",
      lookups: 0,
      hits: 0,
      hitRate: null,
      refreshes: 0,
      refreshFailures: 0,
      evictions: 3,
      entries: 0,
      bytes: 0,
      loader: null,
    },
  ]);
});

Deno.test("statusReport() lists each circuit breaker with its state and its openings and rejections in 24 hours", () => {
  const report = statusReport(
    overview({
      breakers: [
        {
          name: "upstream-quotes",
          state: "open",
          since: "2026-11-30T00:50:00.000Z",
          next_probe_at: "2026-11-30T00:50:10.000Z",
          openings: "3",
          transitions: "8",
          rejected: "412",
        },
        {
          name: "ai",
          state: null,
          since: null,
          next_probe_at: null,
          openings: 0,
          transitions: 0,
          rejected: 2,
        },
      ],
    }),
    defaultConfig,
    now,
  );
  assert.deepEqual(report.breakers, [
    {
      name: "upstream-quotes",
      state: "open",
      since: "2026-11-30T00:50:00.000Z",
      nextProbeAt: "2026-11-30T00:50:10.000Z",
      openings24h: 3,
      transitions24h: 8,
      rejected24h: 412,
    },
    {
      name: "ai",
      state: null,
      since: null,
      nextProbeAt: null,
      openings24h: 0,
      transitions24h: 0,
      rejected24h: 2,
    },
  ]);
});

Deno.test("statusReport() lists the open alerts apart from those cleared in the last 24 hours", () => {
  const open = {
    rule: "alert.error-rate",
    subject: "edge:robots",
    value: 0.2,
    threshold: 0.05,
    raised_at: "2026-11-30T02:00:00.000Z",
    last_seen_at: "2026-11-30T02:09:00.000Z",
    cleared_at: null,
  };
  const cleared = { ...open, subject: "edge:robot-chat", cleared_at: "2026-11-30T01:30:00.000Z" };
  const report = statusReport(overview({ alerts: [open, cleared] }), defaultConfig, now);
  assert.deepEqual(report.alerts.open.map((a) => [a.subject, a.raisedAt, a.lastSeenAt, a.clearedAt]), [
    ["edge:robots", "2026-11-30T02:00:00.000Z", "2026-11-30T02:09:00.000Z", null],
  ]);
  assert.deepEqual(report.alerts.cleared.map((a) => [a.subject, a.clearedAt]), [
    ["edge:robot-chat", "2026-11-30T01:30:00.000Z"],
  ]);
});

Deno.test("statusReport() sets each applied action's estimate beside its measured gain, with the error per kind", () => {
  const row = (id: string, relativeError: number | null) => ({
    finding_id: id,
    rule: "index.suggest",
    subject: `index:public.robots(c${id})`,
    applied_at: "2026-11-30T01:00:00.000Z",
    kind: "index-build",
    checked_at: "2026-11-30T02:00:00.000Z",
    verdict: relativeError === null ? "pending" : "kept",
    rolled_back: false,
    estimate: { kind: "estimated" as const, value: 100, unit: "ms", model: "m" },
    measured: relativeError === null ? null : {
      kind: "measured" as const,
      value: 90,
      unit: "ms",
      window: { from: "2026-11-30T01:00:00.000Z", to: "2026-11-30T02:00:00.000Z" },
      method: "per call",
    },
    relative_error: relativeError,
    reason: "r",
  });
  const report = statusReport(
    overview({ actions: [row("1", 0.11), row("2", null), row("3", 0.3)] }),
    defaultConfig,
    now,
  );
  assert.deepEqual(report.actions.checks.map((c) => [c.findingId, c.subject, c.measured?.value ?? null]), [
    ["1", "index:public.robots(c1)", 90],
    ["2", "index:public.robots(c2)", null],
    ["3", "index:public.robots(c3)", 90],
  ]);
  assert.deepEqual(report.actions.estimatorError, [
    { kind: "index-build", checks: 2, medianRelativeError: 0.205 },
  ]);
});

Deno.test("statusReport() reports each function's cold-start rate and each namespace's hit rate per hour", () => {
  const rate = (system: string, target: string, hoursAgo: number, events: number, part: number) => ({
    system,
    target,
    at: new Date(now.getTime() - hoursAgo * 3_600_000).toISOString(),
    events,
    part,
  });
  const report = statusReport(
    overview({
      rates: [
        rate("edge", "robots", 10, 400, 40),
        rate("edge", "robots", 1, 400, 4),
        rate("cache", "q", 1, 10, 9),
      ],
    }),
    defaultConfig,
    now,
  );
  assert.deepEqual(
    report.trends.coldStartRate.map((t) => [t.subject, t.points.map((p) => p.rate), t.change?.direction]),
    [["edge:robots", [0.1, 0.01], "falling"]],
  );
  assert.deepEqual(report.trends.cacheHitRate.map((t) => [t.subject, t.change]), [["cache:q", null]]);
});
