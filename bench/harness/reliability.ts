/**
 * The reliability scenario: the measured window replayed again under `baseline` and `optimized` with, on top
 * of its upstream outage, a period of slow database responses that starts halfway through the outage. Its
 * targets: during the outage `optimized`'s user-visible error rate at most 0.05 of `baseline`'s; every quote
 * answered by the service again within 30 s of trace time after the outage; the breaker's calls to the failing
 * service at most one per 10 s of outage, across all isolates. Each is checked in every repeat.
 */
import { MINUTE_MS, SECOND_MS } from "../../shared/time.ts";
import type { Outage } from "../trace/trace.ts";
import type { TargetCheck } from "./index_targets.ts";
import type { ComparisonReport } from "./report.ts";
import type { ScenarioRun, SlowDatabase } from "./scenario.ts";

export const reliabilitySettings = {
  /** What every statement's round trip gains while the database is slow. */
  slowDatabaseDelayMs: 100,
  /** How long the database stays slow, in trace time. */
  slowDatabaseMs: 4 * MINUTE_MS,
  /** optimized / baseline error rate during the outage, every pair. */
  maxOutageErrorRatio: 0.05,
  /** From the outage's end to the first quote the service answers, trace time. */
  maxRecoveryMs: 30 * SECOND_MS,
  /** Calls reaching the failing service per 10 s of outage. */
  maxCallsPer10s: 1,
} as const;

/**
 * The slow period of a trace: from halfway through its first outage, `slowDatabaseMs` long (cut at the
 * trace's end); none when the trace has no outage.
 */
export function slowDatabaseFor(trace: { outages: Outage[]; durationMs: number }): SlowDatabase {
  const outage = trace.outages[0];
  if (!outage) return { windows: [], delayMs: reliabilitySettings.slowDatabaseDelayMs };
  const startMs = Math.round((outage.startMs + outage.endMs) / 2);
  return {
    windows: [{ startMs, endMs: Math.min(trace.durationMs, startMs + reliabilitySettings.slowDatabaseMs) }],
    delayMs: reliabilitySettings.slowDatabaseDelayMs,
  };
}

/** Calls that reached the quote service during its outages, per 10 s of outage (trace time); null without one. */
export function outageCallsPer10s(run: Pick<ScenarioRun, "upstream">): number | null {
  const { duringOutage, outageMs } = run.upstream;
  return outageMs === 0 ? null : duringOutage / (outageMs / 10_000);
}

const f = (v: number | null, digits = 2) => (v === null ? "–" : v.toFixed(digits));

/** Pure: the reliability targets over the scenario's runs and their comparison. */
export function checkReliabilityTargets(comparison: ComparisonReport, runs: ScenarioRun[]): TargetCheck[] {
  const s = reliabilitySettings;
  const optimized = runs.filter((r) => r.scenario === "optimized");
  const errorPairs = comparison.ratios["optimized / baseline"]?.["error rate in outages"]?.pairs ?? [];
  const recoveries = optimized.map((r) => r.figures.recoveryMs);
  const callRates = optimized.map(outageCallsPer10s);
  const every = (values: (number | null)[], ok: (v: number) => boolean) =>
    values.length > 0 && values.every((v) => v !== null && ok(v));
  return [
    {
      target: `error rate during the outage <= ${s.maxOutageErrorRatio} of baseline's, every repeat`,
      measured: errorPairs.map((p) => `${f(p.b, 4)} / ${f(p.a, 4)} = ${f(p.ratio, 3)}`).join("; ") ||
        "no pairs",
      met: errorPairs.length === optimized.length &&
        every(errorPairs.map((p) => p.ratio), (r) => r <= s.maxOutageErrorRatio),
    },
    {
      target: `quotes answered by the service again <= ${s.maxRecoveryMs / SECOND_MS} s (trace) after the ` +
        "outage, every repeat",
      measured: recoveries.map((ms) => ms === null ? "no quote after it" : `${f(ms / SECOND_MS, 1)} s`).join(
        "; ",
      ),
      met: every(recoveries, (ms) => ms <= s.maxRecoveryMs),
    },
    {
      target: `calls reaching the failing service <= ${s.maxCallsPer10s} per 10 s of outage, every repeat`,
      measured: callRates.map((v) => f(v)).join("; "),
      met: every(callRates, (v) => v <= s.maxCallsPer10s),
    },
  ];
}
