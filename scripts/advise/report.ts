import {
  type AnalyzerReport,
  type Finding,
  type RecommendationResult,
  recommendationResult,
  type Rejection,
  type ReportedFinding,
} from "../../shared/mod.ts";

/**
 * What `npm run advise` prints: the report built from the analyzers' outcome (adviseReport) as JSON, or as
 * text a person reads (formatReport): findings grouped by system, most severe first, each with its action
 * (an index's exact `create index` statement and its rollback) and its gain, measured or estimated.
 */

/** The report of one run of `npm run advise`; `--json` prints it as it is. */
export interface AdviseReport {
  /** The database analyzed, its password hidden. */
  database: string;
  /** The config whose limits the analysis used: the suite's stored one (optimizer.config), else the defaults. */
  config: "stored" | "defaults";
  /** When the analysis ran. */
  ranAt: string;
  /** The window analyzed. */
  window: { from: string; to: string; span: string };
  /** Every finding, with the analyzer that reported it. */
  findings: (Finding & { analyzer: string })[];
  /** What was considered and dropped, with the analyzer and its reason. */
  rejected: (Rejection & { analyzer: string })[];
  /** Limits of the analysis a reader should know, with the analyzer. */
  notes: { analyzer: string; note: string }[];
  /** How each analyzer's part ended. */
  analyzers: Omit<AnalyzerReport, "rejected" | "notes">[];
  /** The seed's result shape of the findings. */
  result: RecommendationResult;
}

/** What adviseReport() is given. */
export interface AdviseReportInput {
  database: string;
  config: AdviseReport["config"];
  ranAt: Date;
  window: { from: Date; to: Date; span: string };
  reported: readonly ReportedFinding[];
  analyzers: readonly AnalyzerReport[];
}

/** Pure: the connection string with its password replaced by `***` (unchanged if it cannot be parsed). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(the given --db-url)";
  }
}

/** Pure: the report of a run. */
export function adviseReport(input: AdviseReportInput): AdviseReport {
  const findings = input.reported.map(({ analyzer, finding }) => ({ ...finding, analyzer }));
  return {
    database: redactUrl(input.database),
    config: input.config,
    ranAt: input.ranAt.toISOString(),
    window: {
      from: input.window.from.toISOString(),
      to: input.window.to.toISOString(),
      span: input.window.span,
    },
    findings,
    rejected: input.analyzers.flatMap((a) => a.rejected.map((r) => ({ ...r, analyzer: a.name }))),
    notes: input.analyzers.flatMap((a) => [
      ...a.notes.map((note) => ({ analyzer: a.name, note })),
      ...(a.error ? [{ analyzer: a.name, note: `${a.status}: ${a.error}` }] : []),
    ]),
    analyzers: input.analyzers.map(({ rejected: _r, notes: _n, ...rest }) => rest),
    result: recommendationResult(input.reported.map((r) => r.finding)),
  };
}

const systemTitles: Record<keyof Omit<RecommendationResult, "priority">, string> = {
  database: "Database",
  cache: "Cache",
  edge: "Edge functions",
  overall: "Overall",
};

const indent = (text: string, prefix: string) => text.split("\n").map((line) => prefix + line).join("\n");

function gainLine(finding: Finding): string {
  const gain = finding.gain;
  if (gain === null) return "gain: none claimed";
  const value = `${Number(gain.value.toPrecision(4))} ${gain.unit}`;
  return gain.kind === "measured"
    ? `gain: ${value}, measured (${gain.method}; window ${gain.window.from} to ${gain.window.to})`
    : `gain: ${value}, estimated (model: ${gain.model})`;
}

function actionLines(finding: Finding): string[] {
  const action = finding.action;
  if (action.kind === "sql") {
    return ["apply:", indent(action.sql, "    "), "rollback:", indent(action.rollback, "    ")];
  }
  if (action.kind === "config") return [`config patch: ${JSON.stringify(action.patch)}`];
  return [`what to do: ${action.text}`];
}

function findingLines(finding: Finding & { analyzer?: string }): string[] {
  return [
    `[${finding.severity.toUpperCase()}] ${finding.title}`,
    ...[
      `${finding.rule} on ${finding.subject}`,
      finding.detail,
      gainLine(finding),
      ...actionLines(finding),
    ].map((line) => indent(line, "  ")),
    "",
  ];
}

/** Pure: the readable report; `verbose` adds the rejected candidates with their reasons. */
export function formatReport(report: AdviseReport, options: { verbose: boolean }): string {
  const { result } = report;
  const count = report.findings.length;
  const lines = [
    `Advice for ${report.database}`,
    `window: ${report.window.span} (${report.window.from} to ${report.window.to})`,
    `config: ${report.config === "stored" ? "the suite's stored config (optimizer.config)" : "the defaults"}`,
    `${count} finding(s)` +
    (result.priority.level
      ? `; most severe: ${result.priority.level} (critical ${result.priority.counts.critical}, ` +
        `warning ${result.priority.counts.warning}, info ${result.priority.counts.info})`
      : ""),
    "",
  ];
  for (const [system, title] of Object.entries(systemTitles) as [keyof typeof systemTitles, string][]) {
    const findings = result[system];
    if (findings.length === 0) continue;
    lines.push(`== ${title} (${findings.length}) ==`, "");
    for (const finding of findings) lines.push(...findingLines(finding));
  }
  lines.push("== Analyzers ==");
  for (const a of report.analyzers) {
    lines.push(`  ${a.name}: ${a.status}, ${a.findings} finding(s), ${a.durationMs} ms`);
  }
  lines.push("", "== Notes ==");
  for (const { analyzer, note } of report.notes) lines.push(`  ${analyzer}: ${note}`);
  if (options.verbose) {
    lines.push("", `== Rejected (${report.rejected.length}) ==`);
    for (const r of report.rejected) lines.push(`  ${r.analyzer} ${r.rule} ${r.subject}: ${r.reason}`);
  } else if (report.rejected.length > 0) {
    lines.push(
      "",
      `${report.rejected.length} candidate(s) rejected: --verbose lists them with their reasons`,
    );
  }
  return lines.join("\n") + "\n";
}
