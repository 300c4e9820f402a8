import type { Sql } from "../db/client.ts";
import type { OptimizationConfig } from "../config/config.ts";
import { FindingSchema } from "../finding/finding.ts";
import { fieldIssues } from "../http/validation.ts";
import { DAY_MS, SECOND_MS } from "../time.ts";
import type { AnalysisResult, Analyzer, Rejection } from "./analyzer.ts";
import type { ReportedFinding } from "./merge.ts";

/**
 * Runs the analyzers of one recommendations run one after the other, within limits.maxRunDurationSeconds:
 * each is given the run's deadline, and one still running at the deadline is left behind (its findings are
 * dropped, as they may be partial) so the run ends on time. An analyzer that throws, overruns, returns a
 * Finding that is not valid, or had no time left to start is recorded with what happened; only those that
 * completed take part in resolving findings (merge.ts).
 */

/** How an analyzer's part of the run ended. */
export type AnalyzerStatus = "completed" | "failed" | "timed-out" | "skipped";

/** One analyzer's part of the run, as the run's summary records it. */
export interface AnalyzerReport {
  /** The analyzer's name. */
  name: string;
  /** How it ended. */
  status: AnalyzerStatus;
  /** How long it ran, in ms (to the deadline for one that timed out). */
  durationMs: number;
  /** Findings it reported (0 unless completed). */
  findings: number;
  /** What it considered and dropped, each with its reason. */
  rejected: Rejection[];
  /** Limits of its analysis a reader should know. */
  notes: string[];
  /** Why it failed, timed out or was skipped; null when it completed. */
  error: string | null;
}

/** What runAnalyzers() returns. */
export interface AnalyzersOutcome {
  /** Every finding of the analyzers that completed, with the analyzer that reported it. */
  reported: ReportedFinding[];
  /** The analyzers that completed. */
  complete: Set<string>;
  /** Each analyzer's part, in the order they ran. */
  analyzers: AnalyzerReport[];
  /** The history the analyzers were given. */
  window: { from: Date; to: Date };
}

/** Options of runAnalyzers(). */
export interface RunAnalyzersOptions {
  /** The project's database, passed to each analyzer. */
  sql: Sql;
  /** The config in force: limits.maxRunDurationSeconds bounds the run. */
  config: OptimizationConfig;
  /** When the run starts. */
  now: Date;
  /** Epoch milliseconds, for the deadline and durations (default Date.now). */
  clock?: () => number;
  /** The history the analyzers read, ending at `now`, in ms (default analysisWindowMs). */
  windowMs?: number;
}

/** The history analyzers read: the last day, so that it holds a whole daily cycle of the app's traffic. */
export const analysisWindowMs: number = DAY_MS;

const message = (error: unknown) => error instanceof Error ? error.message : String(error);

/** Why a result's findings cannot be taken, or null when every one is a valid Finding. */
function invalidFindings(result: AnalysisResult): string | null {
  for (const [index, finding] of (result.findings ?? []).entries()) {
    const parsed = FindingSchema.safeParse(finding);
    if (!parsed.success) {
      const issues = fieldIssues(parsed.error, `findings[${index}]`);
      return `returned an invalid Finding: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`;
    }
  }
  return null;
}

/** Runs `analyzers` in order within the config's maxRunDurationSeconds (see the top of this file). */
export async function runAnalyzers(
  analyzers: readonly Analyzer[],
  options: RunAnalyzersOptions,
): Promise<AnalyzersOutcome> {
  const clock = options.clock ?? Date.now;
  const { config, now, sql } = options;
  const deadline = clock() + config.limits.maxRunDurationSeconds * SECOND_MS;
  const window = { from: new Date(now.getTime() - (options.windowMs ?? analysisWindowMs)), to: now };
  const outcome: AnalyzersOutcome = { reported: [], complete: new Set(), analyzers: [], window };

  for (const analyzer of analyzers) {
    const started = clock();
    const report = (
      status: AnalyzerStatus,
      error: string | null,
      result?: AnalysisResult,
    ): AnalyzerReport => ({
      name: analyzer.name,
      status,
      durationMs: Math.max(0, clock() - started),
      findings: status === "completed" ? result?.findings.length ?? 0 : 0,
      rejected: result?.rejected ?? [],
      notes: result?.notes ?? [],
      error,
    });
    if (started >= deadline) {
      outcome.analyzers.push(
        report(
          "skipped",
          `no time left: the run reached limits.maxRunDurationSeconds (${config.limits.maxRunDurationSeconds} s)`,
        ),
      );
      continue;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const overrun = new Promise<"overrun">((resolve) => {
      timer = setTimeout(() => resolve("overrun"), deadline - started);
    });
    const analysis = Promise.resolve().then(() => analyzer.analyze({ sql, now, config, window, deadline }));
    // One left behind at the deadline may still fail later: that is no longer the run's business.
    analysis.catch(() => {});
    try {
      const result = await Promise.race([analysis, overrun]);
      if (result === "overrun") {
        outcome.analyzers.push(report(
          "timed-out",
          `still running at the run's deadline (limits.maxRunDurationSeconds: ${config.limits.maxRunDurationSeconds} s): its findings were dropped`,
        ));
        continue;
      }
      const invalid = invalidFindings(result);
      if (invalid) {
        outcome.analyzers.push(report("failed", invalid));
        continue;
      }
      outcome.analyzers.push(report("completed", null, result));
      outcome.complete.add(analyzer.name);
      for (const finding of result.findings) outcome.reported.push({ analyzer: analyzer.name, finding });
    } catch (error) {
      outcome.analyzers.push(report("failed", message(error)));
    } finally {
      clearTimeout(timer);
    }
  }
  return outcome;
}
