/**
 * The suite's recommendations in the `optimized` scenario, used through the `recommendations` function as a
 * developer would use them, with the project's secret key:
 * - after the discovery traffic, `POST /recommendations/refresh?since=<discovery start>` analyzes that traffic,
 *   and `GET /recommendations?status=open` lists what it found;
 * - before every run, `POST /recommendations/:id/apply` builds each index suggestion (`create index
 *   concurrently`); after the run, `POST /recommendations/:id/rollback` drops it again, so that the next
 *   scenario starts from the same database.
 * Each applied index's scans during each run (pg_stat_user_indexes) and size are kept: a suggestion the planner
 * never used would show as zero scans.
 */
import {
  type Finding,
  planApply,
  type Rejection,
  type RunSummary,
  type StoredFinding,
} from "../../shared/mod.ts";
import type { SuiteFeature } from "./scenario.ts";
import type { World } from "./world.ts";

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
  /** The index suggestions, applied before every run. */
  indexes: AppliedIndex[];
}

/** The feature, with discover() to call once after the discovery traffic. */
export interface RecommendationsFeature extends SuiteFeature {
  /** Runs the analysis over the traffic since `since` and picks the suggestions to apply. */
  discover(since: Date): Promise<void>;
  report: RecommendationsReport;
  /** The candidates the refresh's analyzers looked at and dropped, each with its reason. */
  rejections: Rejection[];
}

/** The recommendations feature against the stack whose env is given (SUPABASE_URL, SUPABASE_SECRET_KEY). */
export function recommendationsFeature(env: Record<string, string>): RecommendationsFeature {
  const base = `${env.SUPABASE_URL}/functions/v1/recommendations`;
  const report: RecommendationsReport = { refresh: null, findings: [], indexes: [] };
  const applied: AppliedIndex[] = [];
  const rejections: Rejection[] = [];

  async function call(method: "GET" | "POST", path: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${base}${path}`, { method, headers: { apikey: env.SUPABASE_SECRET_KEY } });
    const body = await response.json();
    if (!response.ok) {
      throw new Error(
        `${method} /recommendations${path} answered ${response.status}: ${JSON.stringify(body)}`,
      );
    }
    return body;
  }

  return {
    name: "recommendations (its index suggestions over the discovery window, applied through the function)",
    report,
    rejections,

    async discover(since) {
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
        if (finding.rule !== "index.suggest") continue;
        const plan = planApply(finding.action);
        if (plan.kind !== "index") continue;
        report.indexes.push({
          findingId: id,
          name: plan.indexName,
          statement: plan.statement,
          gain: finding.gain,
          runs: [],
        });
      }
    },

    async prepare() {
      for (const index of report.indexes) {
        await call("POST", `/${index.findingId}/apply`);
        applied.push(index);
      }
    },

    async restore(world: World) {
      const rows = await world.sql<{ name: string; scans: string; bytes: string }[]>`
        select s.indexrelname as name, s.idx_scan as scans, pg_catalog.pg_relation_size(s.indexrelid) as bytes
        from pg_catalog.pg_stat_user_indexes s
        where s.schemaname = 'public' and s.indexrelname = any(${applied.map((i) => i.name)})`;
      for (const index of applied) {
        const row = rows.find((r) => r.name === index.name);
        index.runs.push({ scans: Number(row?.scans ?? 0), bytes: Number(row?.bytes ?? 0) });
      }
      while (applied.length > 0) await call("POST", `/${applied.pop()!.findingId}/rollback`);
    },
  };
}
