import type { Finding } from "../finding/finding.ts";

/**
 * How one recommendations run changes the stored findings, decided without I/O: the store applies the
 * transitions in one transaction (recommendation_store.ts).
 *
 * - a fingerprint never stored is opened;
 * - one stored and reported again is seen: its Finding and last_seen are updated, its status kept (a
 *   dismissed finding stays dismissed, an applied one applied), except that a resolved one reopens;
 * - an open finding its analyzer did not report in a complete analysis is resolved: its evidence is gone;
 *   an analyzer that failed or ran out of time resolves nothing, as its silence proves nothing;
 * - applied and dismissed findings are never resolved: an applied fix that makes the evidence go away is
 *   the fix working (its rollback stays available), and a dismissal stands until the finding is dismissed
 *   or applied otherwise.
 */

/** A finding's status: see the top of merge.ts. */
export type FindingStatus = "open" | "applied" | "dismissed" | "resolved";

/** Every FindingStatus. */
export const findingStatuses = [
  "open",
  "applied",
  "dismissed",
  "resolved",
] as const satisfies readonly FindingStatus[];

/** What the merge needs of a stored finding. */
export interface StoredFindingState {
  /** The finding's fingerprint. */
  fingerprint: string;
  /** The analyzer that reported it last. */
  analyzer: string;
  /** Its current status. */
  status: FindingStatus;
}

/** A finding one analyzer reported in this run. */
export interface ReportedFinding {
  /** The analyzer that reported it. */
  analyzer: string;
  /** What it reported. */
  finding: Finding;
}

/** One change the run makes to the stored findings. */
export type Transition =
  | { kind: "opened"; analyzer: string; finding: Finding }
  | { kind: "seen"; analyzer: string; finding: Finding; status: FindingStatus }
  | { kind: "reopened"; analyzer: string; finding: Finding }
  | { kind: "resolved"; fingerprint: string };

/** What the merge decided, with the transitions counted by kind. */
export interface MergeOutcome {
  /** The changes, in the order reported (then the resolutions). */
  transitions: Transition[];
  /** How many transitions of each kind. */
  counts: Record<Transition["kind"], number>;
}

/**
 * Merges the findings of one run into the stored state. `complete` names the analyzers whose analysis
 * finished: only their findings can be resolved. A fingerprint reported twice in one run counts once (the
 * first report wins).
 */
export function mergeFindings(
  stored: readonly StoredFindingState[],
  reported: readonly ReportedFinding[],
  complete: ReadonlySet<string>,
): MergeOutcome {
  const byFingerprint = new Map(stored.map((state) => [state.fingerprint, state]));
  const seen = new Set<string>();
  const transitions: Transition[] = [];

  // Reported findings: opened, seen again or reopened.
  for (const { analyzer, finding } of reported) {
    if (seen.has(finding.fingerprint)) continue;
    seen.add(finding.fingerprint);
    const state = byFingerprint.get(finding.fingerprint);
    if (!state) transitions.push({ kind: "opened", analyzer, finding });
    else if (state.status === "resolved") transitions.push({ kind: "reopened", analyzer, finding });
    else transitions.push({ kind: "seen", analyzer, finding, status: state.status });
  }

  // Open findings whose analyzer completed without reporting them: resolved.
  for (const state of stored) {
    if (state.status === "open" && !seen.has(state.fingerprint) && complete.has(state.analyzer)) {
      transitions.push({ kind: "resolved", fingerprint: state.fingerprint });
    }
  }

  const counts = { opened: 0, seen: 0, reopened: 0, resolved: 0 };
  for (const transition of transitions) counts[transition.kind]++;
  return { transitions, counts };
}
