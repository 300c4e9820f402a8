import type { AnalysisResult } from "../recommendations/analyzer.ts";
import type { OptimizationConfig } from "../config/config.ts";
import type { Action, Window } from "../finding/finding.ts";
import { bucketValue, type Histogram, histogramCount } from "../metrics/latency_histogram.ts";
import { formatRate, percent, wilsonInterval } from "../correlate/statistics.ts";
import { type Bound, resolveOptions } from "./options.ts";
import type { TargetSeries } from "./target_series.ts";
import { collect, found, reject as rejectRule, type Verdict } from "./verdict.ts";

/**
 * The edge analyzer's rules, per function (events of system `edge`, kind `request`, target = the function's
 * name). Pure: it takes the figures and decides.
 *
 * Rules (`edge.*`):
 * - cold-start-rate: cold starts per request above alerts.coldStartRate with 95 % confidence (the lower end
 *   of the Wilson interval is above it);
 * - tail-latency: p95 at least maxTailRatio times p50: a slow tail the median hides;
 * - error-rate: failed requests above alerts.errorRate with 95 % confidence;
 * - timeout-rate: requests that ran to timeoutMs (within the histogram's 1 %) above maxTimeoutRate with
 *   95 % confidence. Rollups do not mark timeouts, so a request is counted as one when its latency reached
 *   timeoutFraction of timeoutMs;
 * - p95-rising: p95 at least trendFactor times the previous window's.
 *
 * Confidence of the quantile rules (no interval is computed for a quantile read from a histogram): stated
 * in plain words from the latencies beyond the p95 of the smaller sample, n × 5 %: at least 20 is "high",
 * at least 5 "medium", fewer "low" (a p95 resting on fewer than five values is one or two requests).
 */

/** Thresholds of the edge rules; the rates come from the config (alerts.coldStartRate, alerts.errorRate). */
export interface EdgeAnalyzerOptions {
  /** Requests a window needs before its rates and quantiles are judged (default 100). */
  minRequests: number;
  /** p95 / p50 at or above which the tail is reported (default 4). */
  maxTailRatio: number;
  /**
   * The time after which the platform ends a request, in ms (default 150 000: Supabase Edge Functions' request
   * idle timeout is 150 s; set yours if it differs).
   */
  timeoutMs: number;
  /** A request whose latency reached this share of timeoutMs counts as timed out (default 0.95). */
  timeoutFraction: number;
  /** Share of requests timing out above which it is reported (default 0.01). */
  maxTimeoutRate: number;
  /** p95 at or above this many times the previous window's is reported (default 1.5). */
  trendFactor: number;
  /** Functions analyzed, busiest first (default 200). */
  maxTargets: number;
}

/** The defaults, frozen: lay options over them with the resolve function. */
export const edgeAnalyzerDefaults: Readonly<EdgeAnalyzerOptions> = Object.freeze({
  minRequests: 100,
  maxTailRatio: 4,
  timeoutMs: 150_000,
  timeoutFraction: 0.95,
  maxTimeoutRate: 0.01,
  trendFactor: 1.5,
  maxTargets: 200,
});

const edgeBounds: { [K in keyof EdgeAnalyzerOptions]: Bound } = {
  minRequests: { min: 1, integer: true },
  maxTailRatio: { min: 1 },
  timeoutMs: { min: 1, max: 3_600_000 },
  timeoutFraction: { min: 0.5, max: 1 },
  maxTimeoutRate: { min: 0, max: 1 },
  trendFactor: { min: 1 },
  maxTargets: { min: 1, max: 10_000, integer: true },
};

/** The defaults with `options` laid over them; throws RangeError naming an option out of bounds. */
export function resolveEdgeOptions(options: Partial<EdgeAnalyzerOptions> = {}): EdgeAnalyzerOptions {
  return resolveOptions(edgeAnalyzerDefaults, edgeBounds, options);
}

/** What analyzeEdge() decides on. */
export interface EdgeAnalysisInput {
  /** One entry per function: its requests over the analysis window and the one before. */
  functions: TargetSeries[];
  /** The analysis window. */
  window: Window;
  /** The window before it (trends). */
  previousWindow: Window;
}

/** Runs every edge rule on every function: findings and, for each rule that did not fire, its reason. */
export function analyzeEdge(
  input: EdgeAnalysisInput,
  config: OptimizationConfig,
  options: EdgeAnalyzerOptions = edgeAnalyzerDefaults,
): AnalysisResult {
  const rules = [coldStartRate, tailLatency, errorRate, timeoutRate, p95Rising];
  return collect(input.functions.flatMap((fn) => rules.map((rule) => rule(fn, input, config, options))));
}

type EdgeRule = (
  fn: TargetSeries,
  input: EdgeAnalysisInput,
  config: OptimizationConfig,
  options: EdgeAnalyzerOptions,
) => Verdict;

const reject = (rule: string, fn: string, reason: string) => rejectRule(rule, `edge:${fn}`, reason);
const requestSeries = (fn: string) => `optimizer.metric_rollups(edge/${fn}/request)`;

/** "high", "medium" or "low": see the top of this file. */
export function quantileConfidence(n: number): "high" | "medium" | "low" {
  const beyondP95 = n * 0.05;
  return beyondP95 >= 20 ? "high" : beyondP95 >= 5 ? "medium" : "low";
}

/**
 * A rate rule: `part` of the function's requests above `threshold` with 95 % confidence, else the reason.
 * Returns the interval when the rule fires.
 */
function rateAbove(
  rule: string,
  fn: TargetSeries,
  part: number,
  what: string,
  threshold: number,
  thresholdName: string,
  options: EdgeAnalyzerOptions,
) {
  const n = fn.current.summary.count;
  if (n < options.minRequests) {
    return reject(rule, fn.target, `${n} requests is below minRequests ${options.minRequests}`);
  }
  const rate = wilsonInterval(part, n)!;
  if (rate.rate <= threshold) {
    return reject(
      rule,
      fn.target,
      `${what} ${formatRate(rate)} is at or below ${thresholdName} ${percent(threshold)}`,
    );
  }
  if (rate.low <= threshold) {
    return reject(
      rule,
      fn.target,
      `${what} ${formatRate(rate)} is above ${thresholdName} ${
        percent(threshold)
      }, but its interval reaches it`,
    );
  }
  return rate;
}

const coldStartRate: EdgeRule = (fn, input, config, options) => {
  const rule = "edge.cold-start-rate";
  const threshold = config.alerts.coldStartRate;
  const rate = rateAbove(
    rule,
    fn,
    fn.current.summary.coldStarts,
    "cold-start rate",
    threshold,
    "alerts.coldStartRate",
    options,
  );
  if ("rejection" in rate) return rate;
  const action: Action = config.modules.warmer
    ? {
      kind: "guidance",
      text:
        `The warmer is on but ${fn.target} still starts cold: check that it is among the warmed functions ` +
        "and that limits.warmPingsPerHour leaves it pings.",
    }
    : { kind: "config", patch: { modules: { warmer: true } } };
  return found({
    rule,
    system: "edge",
    subject: `edge:${fn.target}`,
    severity: "warning",
    title: `Function ${fn.target}: ${percent(rate.rate)} of requests start cold`,
    detail:
      `${fn.current.summary.coldStarts} of ${fn.current.summary.count} requests of ${fn.target} were cold ` +
      `starts: ${formatRate(rate)}, above alerts.coldStartRate ${
        percent(threshold)
      } (the whole 95 % Wilson ` +
      "interval lies above it). A cold start loads the function and opens its database connections before " +
      "it answers: keep it warm ahead of traffic, and keep its imports and start-up work small.",
    evidence: {
      series: [requestSeries(fn.target)],
      windows: [input.window],
      statistic: { name: "cold-start rate", value: rate.rate, unit: "ratio" },
    },
    action,
  });
};

const tailLatency: EdgeRule = (fn, input, _config, options) => {
  const rule = "edge.tail-latency";
  const { p50, p95 } = fn.current.summary;
  const n = histogramCount(fn.latencies);
  // 1. enough latencies for a p95
  if (n < options.minRequests || p50 === null || p95 === null) {
    return reject(rule, fn.target, `${n} latencies is below minRequests ${options.minRequests}`);
  }
  // 2. a tail far above the median
  const ratio = p95 / p50;
  if (ratio < options.maxTailRatio) {
    return reject(
      rule,
      fn.target,
      `p95 ${p95.toFixed(1)} ms is ${ratio.toFixed(1)}× p50 ${
        p50.toFixed(1)
      } ms, below maxTailRatio ${options.maxTailRatio}`,
    );
  }
  return found({
    rule,
    system: "edge",
    subject: `edge:${fn.target}`,
    severity: "warning",
    title: `Function ${fn.target}: p95 ${p95.toFixed(0)} ms is ${ratio.toFixed(1)}× its p50`,
    detail:
      `Over ${n} requests, ${fn.target}'s p95 is ${p95.toFixed(1)} ms and its p50 ${p50.toFixed(1)} ms ` +
      `(${ratio.toFixed(1)}×, maxTailRatio ${options.maxTailRatio}; confidence ${quantileConfidence(n)}: ` +
      `${Math.floor(n * 0.05)} requests beyond the p95). One request in twenty waits for something most do ` +
      "not: cold starts, a slow statement, a cache miss or a retry. See the correlation findings for which.",
    evidence: {
      series: [requestSeries(fn.target)],
      windows: [input.window],
      statistic: { name: "p95 / p50", value: ratio, unit: "ratio" },
    },
    action: {
      kind: "guidance",
      text: `Trace ${fn.target}'s slowest requests: compare them with its cold starts and its database time.`,
    },
  });
};

const errorRate: EdgeRule = (fn, input, config, options) => {
  const rule = "edge.error-rate";
  const threshold = config.alerts.errorRate;
  const rate = rateAbove(
    rule,
    fn,
    fn.current.summary.errors,
    "error rate",
    threshold,
    "alerts.errorRate",
    options,
  );
  if ("rejection" in rate) return rate;
  const before = fn.previous.errorRate;
  return found({
    rule,
    system: "edge",
    subject: `edge:${fn.target}`,
    severity: rate.rate >= 2 * threshold ? "critical" : "warning",
    title: `Function ${fn.target}: ${percent(rate.rate)} of requests fail`,
    detail: `${fn.current.summary.errors} of ${fn.current.summary.count} requests of ${fn.target} failed: ` +
      `${formatRate(rate)}, above alerts.errorRate ${
        percent(threshold)
      } (the whole 95 % Wilson interval lies ` +
      `above it); the window before had ${before === null ? "no requests" : percent(before)}.`,
    evidence: {
      series: [requestSeries(fn.target)],
      windows: [input.previousWindow, input.window],
      statistic: { name: "error rate", value: rate.rate, unit: "ratio" },
    },
    action: { kind: "guidance", text: `Read ${fn.target}'s logs for the failing requests.` },
  });
};

/** Latencies in `histogram` whose bucket stands for at least `ms`. */
function countAtLeast(histogram: Histogram, ms: number): number {
  let n = 0;
  for (const [key, count] of Object.entries(histogram)) {
    if (bucketValue(Number(key)) >= ms) n += Number(count);
  }
  return n;
}

const timeoutRate: EdgeRule = (fn, input, _config, options) => {
  const rule = "edge.timeout-rate";
  const limit = options.timeoutMs * options.timeoutFraction;
  const timeouts = countAtLeast(fn.latencies, limit);
  const rate = rateAbove(
    rule,
    fn,
    timeouts,
    "timeout rate",
    options.maxTimeoutRate,
    "maxTimeoutRate",
    options,
  );
  if ("rejection" in rate) return rate;
  return found({
    rule,
    system: "edge",
    subject: `edge:${fn.target}`,
    severity: "critical",
    title: `Function ${fn.target}: ${percent(rate.rate)} of requests run into the ${
      options.timeoutMs / 1000
    } s timeout`,
    detail: `${timeouts} of ${fn.current.summary.count} requests of ${fn.target} took ${limit} ms or more ` +
      `(timeoutFraction ${options.timeoutFraction} of timeoutMs ${options.timeoutMs}): ${
        formatRate(rate)
      }, ` +
      `above maxTimeoutRate ${percent(options.maxTimeoutRate)}. Such requests are cut off by the platform: ` +
      "bound each call the function makes with its own timeout, and move long work to a queue or a cron job.",
    evidence: {
      series: [requestSeries(fn.target)],
      windows: [input.window],
      statistic: { name: "timeout rate", value: rate.rate, unit: "ratio" },
    },
    action: {
      kind: "guidance",
      text: `Give ${fn.target}'s outbound calls timeouts shorter than ${options.timeoutMs / 1000} s.`,
    },
  });
};

const p95Rising: EdgeRule = (fn, input, _config, options) => {
  const rule = "edge.p95-rising";
  const now = fn.current.summary;
  const before = fn.previous;
  // 1. enough requests in both windows
  for (const [name, s] of [["this", now], ["the previous", before]] as const) {
    if (s.count < options.minRequests || s.p95 === null) {
      return reject(
        rule,
        fn.target,
        `${s.count} requests in ${name} window is below minRequests ${options.minRequests}`,
      );
    }
  }
  // 2. a p95 well above the previous window's
  const ratio = now.p95! / before.p95!;
  if (ratio < options.trendFactor) {
    return reject(
      rule,
      fn.target,
      `p95 went from ${before.p95!.toFixed(1)} ms to ${now.p95!.toFixed(1)} ms (${
        ratio.toFixed(2)
      }×), below ` +
        `trendFactor ${options.trendFactor}`,
    );
  }
  const confidence = quantileConfidence(Math.min(now.count, before.count));
  return found({
    rule,
    system: "edge",
    subject: `edge:${fn.target}`,
    severity: "warning",
    title: `Function ${fn.target}: p95 rose ${ratio.toFixed(1)}× against the previous window`,
    detail: `${fn.target}'s p95 went from ${before.p95!.toFixed(1)} ms (${before.count} requests) to ` +
      `${now.p95!.toFixed(1)} ms (${now.count} requests), ${ratio.toFixed(2)}× (trendFactor ` +
      `${options.trendFactor}; confidence ${confidence}). Its p50 went from ${before.p50!.toFixed(1)} to ` +
      `${now.p50!.toFixed(1)} ms and its error rate from ${percent(before.errorRate ?? 0)} to ` +
      `${
        percent(now.errorRate ?? 0)
      }. Look for what changed: a deploy, more traffic, or a slower dependency.`,
    evidence: {
      series: [requestSeries(fn.target)],
      windows: [input.previousWindow, input.window],
      statistic: { name: "p95 ratio to previous window", value: ratio, unit: "ratio" },
    },
    action: {
      kind: "guidance",
      text: `Compare ${fn.target}'s deploys and dependencies across the two windows.`,
    },
  });
};
