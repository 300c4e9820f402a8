import { createFinding, type Finding, type FindingInput } from "../finding/finding.ts";
import type { AnalysisResult, Rejection } from "../recommendations/analyzer.ts";

/**
 * What one rule decided about one subject: a finding, or the reason it did not fire. Every rule the
 * analyzers evaluate returns one, so that no "no" goes unexplained.
 */
export type Verdict = { finding: Finding } | { rejection: Rejection };

/**
 * The verdict of a rule that fired. The rules' findings are advice a person acts on, so `gain` defaults to
 * null and `autoApplicable` to false; a rule that knows a gain passes it.
 */
export function found(
  input:
    & Omit<FindingInput, "gain" | "autoApplicable">
    & Partial<Pick<FindingInput, "gain" | "autoApplicable">>,
): { finding: Finding } {
  return { finding: createFinding({ gain: null, autoApplicable: false, ...input }) };
}

/** The verdict of a rule that did not fire. */
export function reject(rule: string, subject: string, reason: string): { rejection: Rejection } {
  return { rejection: { rule, subject, reason } };
}

/** The verdicts sorted into an AnalysisResult (findings, rejections, and the notes given). */
export function collect(verdicts: Iterable<Verdict>, notes: string[] = []): AnalysisResult {
  const result: AnalysisResult = { findings: [], rejected: [], notes };
  for (const verdict of verdicts) {
    if ("finding" in verdict) result.findings.push(verdict.finding);
    else result.rejected.push(verdict.rejection);
  }
  return result;
}
