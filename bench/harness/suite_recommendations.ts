/**
 * The suite's recommendations in the `optimized` scenario, used through the `recommendations` function as a
 * developer would use them, with the project's secret key:
 * - after the discovery traffic, the config's `recommendations.unusedIndexMinDays` is set (`PUT
 *   /status/config`) to what the caller says that traffic is worth, then `POST
 *   /recommendations/refresh?since=<discovery start>` analyzes it, and `GET /recommendations?status=open` lists
 *   what it found;
 * - before every run, the developer drops each index found unused, duplicate or prefix-redundant, having
 *   reviewed the findings (`POST /recommendations/:id/apply`, `drop index concurrently`), then asks the suite
 *   for a system-wide run at priority performance (`POST /optimize-system`), which builds the index
 *   suggestions it scores worth their cost (`create index concurrently`) up to the target gain; after the run,
 *   `POST /optimize-system/:id/rollback` and `POST /recommendations/:id/rollback` undo both, so that the next
 *   scenario starts from the same database; before that, `POST /optimize-system/verify` has the suite check
 *   each build against its estimate over the replay.
 * Each built index's scans during each run (pg_stat_user_indexes) and size are kept: a suggestion the planner
 * never used would show as zero scans.
 */
import {
  type ActionCheckRecord,
  type Finding,
  planApply,
  type Rejection,
  type RunSummary,
  type StoredFinding,
  type SystemRunResult,
} from "../../shared/mod.ts";
import type { SuiteFeature } from "./scenario.ts";
import type { World } from "./world.ts";
import { suiteApi } from "./suite_api.ts";

/** One applied index suggestion and what it did in each run. */
export interface AppliedIndex {
  findingId: string;
  name: string;
  statement: string;
  /** The advisor's estimate, as its finding states it. */
  gain: Finding["gain"];
  /** Per run of the `optimized` scenario: index scans during the replay, and the index's size. */
  runs: { scans: number; bytes: number }[];
}

/** What the recommendations feature did, for the report. */
export interface RecommendationsReport {
  /** The refresh over the discovery window: its window, and per analyzer its status, time and findings. */
  refresh:
    | Pick<RunSummary, "runId" | "window"> & {
      analyzers: { name: string; status: string; durationMs: number; findings: number; rejected: number }[];
    }
    | null;
  /** Every open finding after the refresh. */
  findings: { id: string; rule: string; subject: string; severity: string; title: string }[];
  /** The index suggestions; those a system-wide run applies are measured in each run. */
  indexes: AppliedIndex[];
  /** The system-wide run before each `optimized` run: what it applied, estimated and left out. */
  systemRuns: SystemRunReport[];
  /** The indexes dropped before every run (and rebuilt after it), with the finding that proposed each. */
  drops: DroppedIndex[];
}

/** One system-wide run, as its answer reports it. */
export interface SystemRunReport {
  runId: string;
  /** What the harness asked for. */
  maxDurationMs: number;
  targetGainPercent: number;
  /** How long the run took by its own clock, and as the harness saw it (the request's round trip). */
  executionTimeMs: number;
  roundTripMs: number;
  /**
   * The actions it applied (findings, or buffer loads with findingId null), and the estimate of their gain in
   * percent of the database time.
   */
  applied: { findingId: string | null; rule: string; subject: string; estimatedGainPercent: number }[];
  estimatedGainPercent: number;
  /** Whether it reached the target, or why not. */
  target: { reached: boolean; reason: string } | null;
  /** What it planned and did not apply, and what it left out, with the reasons. */
  skipped: { findingId: string | null; kind: string; reason: string }[];
  rejected: { findingId: string | null; rule: string; step: string; reason: string }[];
  /** The suite's checks of what the run applied, after the replay (`POST /optimize-system/verify`). */
  checks: ActionCheckRecord[];
}

/** The run the harness asks for: priority performance, the gain it hopes for, the default time limit. */
export const systemRunRequest = {
  priority: "performance",
  targetGainPercent: 80,
  maxDurationMs: 60_000,
} as const;

/** One index the suite's findings proposed to drop, dropped before every `optimized` run. */
export interface DroppedIndex {
  findingId: string;
  rule: string;
  /** The index, `schema.name` as the drop statement names it. */
  index: string;
  statement: string;
  /** The finding's title, which says why. */
  title: string;
}

/** What the developer tells the suite before the refresh (a `recommendations` config section). */
export interface DiscoverySettings {
  /** How many days without a scan make an index unused, given what the discovery traffic covers. */
  unusedIndexMinDays: number;
}

/** The rules whose drop findings the feature applies. */
const dropRules = ["index.unused", "index.duplicate", "index.prefix-redundant"];

/** The feature, with discover() to call once after the discovery traffic. */
export interface RecommendationsFeature extends SuiteFeature {
  /** Runs the analysis over the traffic since `since` and picks the suggestions to apply. */
  discover(since: Date, settings: DiscoverySettings): Promise<void>;
  report: RecommendationsReport;
  /** The candidates the refresh's analyzers looked at and dropped, each with its reason. */
  rejections: Rejection[];
}

/** The recommendations feature against the stack whose env is given (SUPABASE_URL, SUPABASE_SECRET_KEY). */
export function recommendationsFeature(env: Record<string, string>): RecommendationsFeature {
  const report: RecommendationsReport = {
    refresh: null,
    findings: [],
    indexes: [],
    drops: [],
    systemRuns: [],
  };
  const dropped: string[] = [];
  let systemRunId: string | null = null;
  const rejections: Rejection[] = [];
  const request = suiteApi(env);
  const call = (method: "GET" | "POST", path: string) => request(method, `/recommendations${path}`);

  return {
    name:
      "recommendations (its findings over the discovery window: the drops applied after review, the rest " +
      "by a system-wide run at priority performance)",
    report,
    rejections,

    async discover(since, settings) {
      const { config } = await request("GET", "/status/config") as { config: Record<string, unknown> };
      await request("PUT", "/status/config", { ...config, recommendations: settings });
      const summary = await call(
        "POST",
        `/refresh?since=${encodeURIComponent(since.toISOString())}`,
      ) as unknown as RunSummary;
      report.refresh = {
        runId: summary.runId,
        window: summary.window,
        analyzers: summary.analyzers.map((a) => ({
          name: a.name,
          status: a.status,
          durationMs: a.durationMs,
          findings: a.findings,
          rejected: a.rejected.length,
        })),
      };
      rejections.push(...summary.analyzers.flatMap((a) => a.rejected));
      const { findings } = await call("GET", "/?status=open&limit=1000") as { findings: StoredFinding[] };
      report.findings = findings.map(({ id, finding }) => ({
        id,
        rule: finding.rule,
        subject: finding.subject,
        severity: finding.severity,
        title: finding.title,
      }));
      for (const { id, finding } of findings) {
        const plan = planApply(finding.action);
        if (finding.rule === "index.suggest" && plan.kind === "index") {
          report.indexes.push({
            findingId: id,
            name: plan.indexName,
            statement: plan.statement,
            gain: finding.gain,
            runs: [],
          });
        } else if (dropRules.includes(finding.rule) && plan.kind === "drop-index") {
          report.drops.push({
            findingId: id,
            rule: finding.rule,
            index: plan.index,
            statement: plan.statement,
            title: finding.title,
          });
        }
      }
    },

    async prepare() {
      for (const { findingId } of report.drops) {
        await call("POST", `/${findingId}/apply`);
        dropped.push(findingId);
      }
      const started = performance.now();
      const run = await request("POST", "/optimize-system", systemRunRequest) as unknown as SystemRunResult;
      const roundTripMs = Math.round(performance.now() - started);
      systemRunId = run.runId;
      report.systemRuns.push({
        runId: run.runId!,
        maxDurationMs: systemRunRequest.maxDurationMs,
        targetGainPercent: systemRunRequest.targetGainPercent,
        executionTimeMs: run.executionTime,
        roundTripMs,
        applied: run.appliedOptimizations.map((a) => ({
          findingId: a.findingId,
          rule: a.rule,
          subject: a.subject,
          estimatedGainPercent: a.estimatedGainPercent,
        })),
        estimatedGainPercent: run.estimatedPerformanceGain.value,
        target: run.target,
        skipped: run.skipped.map((s) => ({ findingId: s.findingId, kind: s.kind, reason: s.reason })),
        rejected: run.plan.rejected.map((r) => ({
          findingId: r.findingId,
          rule: r.rule,
          step: r.step,
          reason: r.reason,
        })),
        checks: [],
      });
    },

    async restore(world: World) {
      const built = new Set(report.systemRuns.at(-1)?.applied.map((a) => a.findingId) ?? []);
      const indexes = report.indexes.filter((index) => built.has(index.findingId));
      const rows = await world.sql<{ name: string; scans: string; bytes: string }[]>`
        select s.indexrelname as name, s.idx_scan as scans, pg_catalog.pg_relation_size(s.indexrelid) as bytes
        from pg_catalog.pg_stat_user_indexes s
        where s.schemaname = 'public' and s.indexrelname = any(${indexes.map((i) => i.name)})`;
      for (const index of indexes) {
        const row = rows.find((r) => r.name === index.name);
        index.runs.push({ scans: Number(row?.scans ?? 0), bytes: Number(row?.bytes ?? 0) });
      }
      // the suite's own check of what the run applied, over the replay, before the harness undoes it
      const { verified } = await request("POST", "/optimize-system/verify") as {
        verified: ActionCheckRecord[];
      };
      const last = report.systemRuns.at(-1);
      if (last) last.checks = verified.filter((c) => built.has(c.findingId));
      if (systemRunId !== null) await request("POST", `/optimize-system/${systemRunId}/rollback`);
      systemRunId = null;
      while (dropped.length > 0) await call("POST", `/${dropped.pop()!}/rollback`);
    },
  };
}
