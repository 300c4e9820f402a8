import { type Finding, severities, type Severity } from "../finding/finding.ts";

/**
 * The seed's result shape, `{ database[], cache[], edge[], overall[], priority }`, derived from findings:
 * each list holds the findings of one system, most severe first; `priority` is the most severe level
 * present (null when there are none) with how many findings there are at each level.
 */

/** How urgent a set of findings is as a whole. */
export interface Priority {
  /** The most severe level present; null when there are no findings. */
  level: Severity | null;
  /** Findings at each level. */
  counts: Record<Severity, number>;
}

/** The seed's result shape. */
export interface RecommendationResult {
  /** Findings of system `db`. */
  database: Finding[];
  /** Findings of system `cache`. */
  cache: Finding[];
  /** Findings of system `edge`. */
  edge: Finding[];
  /** Findings about the project as a whole (system `overall`). */
  overall: Finding[];
  /** The most severe level present, with counts per level. */
  priority: Priority;
}

const rank = (severity: Severity) => severities.indexOf(severity);

/** The result shape of `findings` (pass the open ones for what needs doing now). */
export function recommendationResult(findings: readonly Finding[]): RecommendationResult {
  const ordered = [...findings].sort((a, b) => rank(b.severity) - rank(a.severity));
  const counts: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return {
    database: ordered.filter((finding) => finding.system === "db"),
    cache: ordered.filter((finding) => finding.system === "cache"),
    edge: ordered.filter((finding) => finding.system === "edge"),
    overall: ordered.filter((finding) => finding.system === "overall"),
    priority: { level: ordered[0]?.severity ?? null, counts },
  };
}
