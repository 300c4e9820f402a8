/**
 * Findings for the tests of what handles findings (merging, sorting, running analyzers), where only their
 * identity (rule, system, subject) and severity matter.
 */
import { createFinding, type Finding, type FindingInput } from "../../shared/finding/finding.ts";

/** A valid guidance Finding about `subject`, titled by it; `fields` override the rest (rule, system, severity). */
export function testFinding(subject: string, fields: Partial<FindingInput> = {}): Finding {
  return createFinding({
    rule: "test.finding",
    system: "db",
    subject,
    severity: "info",
    title: subject,
    detail: subject,
    evidence: { series: ["test"], windows: [], statistic: { name: "n", value: 1 } },
    gain: null,
    action: { kind: "guidance", text: "none" },
    autoApplicable: false,
    ...fields,
  });
}
