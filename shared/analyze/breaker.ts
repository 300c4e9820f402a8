import type { AnalysisResult } from "../recommendations/analyzer.ts";
import type { Window } from "../finding/finding.ts";
import { median, percent } from "../correlate/statistics.ts";
import { type Bound, resolveOptions } from "./options.ts";
import { DAY_MS, SECOND_MS } from "../time.ts";
import type { TargetSeries } from "./target_series.ts";
import { collect, found, reject as rejectRule, type Verdict } from "./verdict.ts";

/**
 * The breaker analyzer's rule, per circuit breaker (events of system `edge`, kind `breaker_call`, target = the
 * breaker's name: each call a shared breaker let through, with its latency and whether it failed;
 * shared/resilience/breaker_events.ts). Pure: it takes the figures and decides.
 *
 * Rule `resilience.breaker-settings` suggests a breaker's settings from the failure and latency patterns of its
 * calls, as a pipeline:
 * 1. enough calls to judge (minCalls);
 * 2. outage buckets: buckets where at least outageErrorRatio of the calls failed; the others are background;
 * 3. the background failure rate p, smoothed ((failures + 1) / (calls + 2): a window without a failure does
 *    not show that failures never happen);
 * 4. failures in a row: the fewest, from minFailures to maxFailures, at which chance alone (independent
 *    failures at rate p, at the background's calls per day) opens the circuit at most
 *    maxChanceOpeningsPerDay; none when even maxFailures cannot, which is a failure rate for a sampling rule;
 * 5. half-open time: the median outage divided by probesPerOutage, between minHalfOpenMs and maxHalfOpenMs, so
 *    an outage costs about that many probe calls and recovery waits at most that long; minHalfOpenMs without
 *    an outage in the window;
 * 6. a timeout of timeoutHeadroom times the calls' p99, so that a hanging dependency fails calls instead of
 *    holding them.
 * Outages are seen at the series' bucket size (a minute for windows up to a day), so their lengths are
 * rounded up to whole buckets.
 */

/** Thresholds of the breaker rule. */
export interface BreakerAnalyzerOptions {
  /** Calls a window needs before its pattern is judged (default 200). */
  minCalls: number;
  /** A bucket where at least this share of the calls failed is an outage (default 0.5). */
  outageErrorRatio: number;
  /** Openings a day that chance failures alone may cause at most (default 1/7: one a week). */
  maxChanceOpeningsPerDay: number;
  /** The fewest failures in a row suggested (default 3). */
  minFailures: number;
  /** The most failures in a row suggested (default 20). */
  maxFailures: number;
  /** Probe calls a median outage may cost (default 20). */
  probesPerOutage: number;
  /** The shortest half-open time suggested, in ms (default 10 000: one probe per 10 s at most). */
  minHalfOpenMs: number;
  /** The longest half-open time suggested, in ms (default 60 000: recovery noticed within a minute). */
  maxHalfOpenMs: number;
  /** The suggested timeout is this many times the calls' p99 (default 2). */
  timeoutHeadroom: number;
  /** Breakers analyzed, busiest first (default 100). */
  maxTargets: number;
}

/** The defaults, frozen: lay options over them with the resolve function. */
export const breakerAnalyzerDefaults: Readonly<BreakerAnalyzerOptions> = Object.freeze({
  minCalls: 200,
  outageErrorRatio: 0.5,
  maxChanceOpeningsPerDay: 1 / 7,
  minFailures: 3,
  maxFailures: 20,
  probesPerOutage: 20,
  minHalfOpenMs: 10_000,
  maxHalfOpenMs: 60_000,
  timeoutHeadroom: 2,
  maxTargets: 100,
});

const breakerBounds: { [K in keyof BreakerAnalyzerOptions]: Bound } = {
  minCalls: { min: 1, integer: true },
  outageErrorRatio: { min: 0.01, max: 1 },
  maxChanceOpeningsPerDay: { min: 0.0001 },
  minFailures: { min: 1, max: 1000, integer: true },
  maxFailures: { min: 1, max: 1000, integer: true },
  probesPerOutage: { min: 1 },
  minHalfOpenMs: { min: 1 },
  maxHalfOpenMs: { min: 1 },
  timeoutHeadroom: { min: 1 },
  maxTargets: { min: 1, max: 10_000, integer: true },
};

/** The defaults with `options` laid over them; throws RangeError naming an option out of bounds. */
export function resolveBreakerOptions(options: Partial<BreakerAnalyzerOptions> = {}): BreakerAnalyzerOptions {
  const resolved = resolveOptions(breakerAnalyzerDefaults, breakerBounds, options);
  if (resolved.maxFailures < resolved.minFailures) {
    throw new RangeError(
      `maxFailures must be >= minFailures (${resolved.minFailures}): got ${resolved.maxFailures}`,
    );
  }
  if (resolved.maxHalfOpenMs < resolved.minHalfOpenMs) {
    throw new RangeError(
      `maxHalfOpenMs must be >= minHalfOpenMs (${resolved.minHalfOpenMs}): got ${resolved.maxHalfOpenMs}`,
    );
  }
  return resolved;
}

/** The settings suggested for one breaker and the figures they come from. */
export interface BreakerSuggestion {
  failures: number;
  halfOpenAfterMs: number;
  /** Null when the calls carried no latencies. */
  timeoutMs: number | null;
  /** Smoothed failure rate outside outages. */
  backgroundFailureRate: number;
  /** Calls a day outside outages. */
  callsPerDay: number;
  /** Openings a day chance alone causes at `failures`. */
  chanceOpeningsPerDay: number;
  /** Each outage's length in ms, in order. */
  outagesMs: number[];
}

/** What analyzeBreakers() decides on. */
export interface BreakerAnalysisInput {
  /** One entry per breaker: the calls it let through over the analysis window. */
  breakers: TargetSeries[];
  /** The analysis window. */
  window: Window;
}

const rule = "resilience.breaker-settings";
const reject = (breaker: string, reason: string) => rejectRule(rule, `breaker:${breaker}`, reason);

/** Runs the rule on every breaker: a finding with the suggested settings, or the reason there is none. */
export function analyzeBreakers(
  input: BreakerAnalysisInput,
  options: BreakerAnalyzerOptions = breakerAnalyzerDefaults,
): AnalysisResult {
  return collect(input.breakers.map((breaker) => adviseBreaker(breaker, input.window, options)));
}

/** The pipeline of the file's header: steps 1 to 6 for one breaker. */
export function suggestBreakerSettings(
  breaker: TargetSeries,
  options: BreakerAnalyzerOptions = breakerAnalyzerDefaults,
): BreakerSuggestion | { reason: string } {
  const { buckets, bucketSeconds } = breaker.current;
  const summary = breaker.current.summary;
  // 1. enough calls
  if (summary.count < options.minCalls) {
    return { reason: `${summary.count} calls is below minCalls ${options.minCalls}` };
  }
  // 2. outage buckets and background
  const isOutage = buckets.map((b) => b.count > 0 && b.errors / b.count >= options.outageErrorRatio);
  const background = buckets.filter((_, i) => !isOutage[i]);
  const calls = background.reduce((sum, b) => sum + b.count, 0);
  const failures = background.reduce((sum, b) => sum + b.errors, 0);
  // 3. smoothed background failure rate and call rate
  const rate = (failures + 1) / (calls + 2);
  const windowDays = (buckets.length * bucketSeconds * SECOND_MS) / DAY_MS;
  const callsPerDay = calls / windowDays;
  // 4. the fewest failures in a row that chance opens at most maxChanceOpeningsPerDay
  const chance = (k: number) => callsPerDay * rate ** k;
  let k = options.minFailures;
  while (k <= options.maxFailures && chance(k) > options.maxChanceOpeningsPerDay) k++;
  if (k > options.maxFailures) {
    return {
      reason:
        `background failure rate ${percent(rate)} at ${Math.round(callsPerDay)} calls a day opens the ` +
        `circuit by chance more than maxChanceOpeningsPerDay ${options.maxChanceOpeningsPerDay} even at ` +
        `maxFailures ${options.maxFailures} in a row: use a sampling rule (a failure rate over a time window)`,
    };
  }
  // 5. half-open time from the outages' lengths
  const outagesMs = outageLengths(isOutage, bucketSeconds * SECOND_MS);
  const halfOpenAfterMs = outagesMs.length === 0 ? options.minHalfOpenMs : Math.round(
    Math.min(
      options.maxHalfOpenMs,
      Math.max(options.minHalfOpenMs, median(outagesMs) / options.probesPerOutage),
    ),
  );
  // 6. timeout from the calls' p99
  const timeoutMs = summary.p99 === null ? null : Math.ceil(summary.p99 * options.timeoutHeadroom);
  return {
    failures: k,
    halfOpenAfterMs,
    timeoutMs,
    backgroundFailureRate: rate,
    callsPerDay,
    chanceOpeningsPerDay: chance(k),
    outagesMs,
  };
}

function adviseBreaker(breaker: TargetSeries, window: Window, options: BreakerAnalyzerOptions): Verdict {
  const s = suggestBreakerSettings(breaker, options);
  if ("reason" in s) return reject(breaker.target, s.reason);
  const probing = s.outagesMs.length === 0
    ? `No outage in the window: a probe every ${seconds(s.halfOpenAfterMs)}, the shortest allowed.`
    : `${s.outagesMs.length} outage(s), median ${seconds(median(s.outagesMs))}: a probe every ${
      seconds(s.halfOpenAfterMs)
    } costs about ${
      Math.round(median(s.outagesMs) / s.halfOpenAfterMs)
    } calls over a median outage and notices recovery within that time.`;
  const timeout = s.timeoutMs === null ? "" : `, time calls out after ${s.timeoutMs} ms`;
  return found({
    rule,
    system: "edge",
    subject: `breaker:${breaker.target}`,
    severity: "info",
    title: `Breaker ${breaker.target}: open after ${s.failures} failures in a row, probe every ${
      seconds(s.halfOpenAfterMs)
    }${timeout}`,
    detail:
      `${breaker.current.summary.count} calls of ${breaker.target}; outside outages ${
        percent(s.backgroundFailureRate)
      } failed (smoothed) at ${Math.round(s.callsPerDay)} calls a day, so ${s.failures} failures in a row ` +
      `happen by chance about ${s.chanceOpeningsPerDay.toPrecision(2)} times a day (independent failures), ` +
      `within maxChanceOpeningsPerDay ${options.maxChanceOpeningsPerDay.toPrecision(2)}. ${probing}${
        s.timeoutMs === null ? "" : ` The calls' p99 was ${breaker.current.summary.p99} ms: a timeout of ` +
          `${s.timeoutMs} ms fails a hanging call instead of holding the request.`
      }`,
    evidence: {
      series: [`optimizer.metric_rollups(edge/${breaker.target}/breaker_call)`],
      windows: [window],
      statistic: { name: "background failure rate", value: s.backgroundFailureRate, unit: "ratio" },
    },
    action: {
      kind: "guidance",
      text:
        `createSharedBreaker({ name: "${breaker.target}", rule: { kind: "consecutive", failures: ${s.failures} }, ` +
        `halfOpenAfterMs: ${s.halfOpenAfterMs}, ... })${
          s.timeoutMs === null ? "" : `, and cut each call off after ${s.timeoutMs} ms`
        } (docs/resilience.md).`,
    },
  });
}

/** Lengths of the runs of outage buckets, in ms. */
function outageLengths(isOutage: boolean[], bucketMs: number): number[] {
  const lengths: number[] = [];
  let run = 0;
  for (const outage of [...isOutage, false]) {
    if (outage) run++;
    else if (run > 0) {
      lengths.push(run * bucketMs);
      run = 0;
    }
  }
  return lengths;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
