import type { OptimizationConfig } from "../config/config.ts";
import { estimatedGain, type Finding, type Window } from "../finding/finding.ts";
import type { AnalysisResult } from "../recommendations/analyzer.ts";
import { HOUR_MS } from "../time.ts";
import { type Bound, resolveOptions } from "./options.ts";
import { collect, found, reject } from "./verdict.ts";

/**
 * The warm budget's rule (`warm.budget-short`): the warmer left pings out for `limits.warmPingsPerHour`, and
 * the functions it warms still started cold. Pure: it takes the figures and decides.
 *
 * 1. warmer: the module is on (else the edge analyzer's cold-start rule proposes switching it on);
 * 2. left out: at least minLeftOutPings pings left out for the budget over the window (each warmer run's plan
 *    records the chance of each, plan_warmups.ts);
 * 3. boot: what a cold start costs, measured on the warmer's own pings over the window: the mean latency of
 *    those that booted a worker less the mean of those that found one, each from at least minBootPings pings;
 * 4. avoidable: the chances of the pings left out, per function at most the cold starts its requests met
 *    (no budget avoids more than there were), added up: at least minColdStartsAvoided;
 * 5. room: the budget is below the config's ceiling.
 *
 * The finding proposes the budget that would have bought the pings left out (their count per hour of the
 * window added to the budget), with the saving estimated as the cold starts avoidable times the boot's cost.
 * Raising a limit is a person's call: the finding is not auto-applicable, and a system-wide run leaves it
 * alone. Once applied, each check compares the warmed functions' cold starts per request before and after
 * (shared/system/verify_gain.ts, checkWarmBudget()).
 */

/** The rule's thresholds. */
export interface WarmBudgetOptions {
  /** Pings left out for the budget over the window below which nothing is proposed (default 10). */
  minLeftOutPings: number;
  /** Pings that booted a worker, and pings that found one, needed to measure a boot (default 5 each). */
  minBootPings: number;
  /** Cold starts the pings left out must be expected to avoid (default 1). */
  minColdStartsAvoided: number;
}

/** The defaults, frozen. */
export const warmBudgetDefaults: Readonly<WarmBudgetOptions> = Object.freeze({
  minLeftOutPings: 10,
  minBootPings: 5,
  minColdStartsAvoided: 1,
});

const bounds: { [K in keyof WarmBudgetOptions]: Bound } = {
  minLeftOutPings: { min: 1, integer: true },
  minBootPings: { min: 1, integer: true },
  minColdStartsAvoided: { min: 0 },
};

/** The defaults with `options` laid over them; throws RangeError naming an option out of bounds. */
export function resolveWarmBudgetOptions(options: Partial<WarmBudgetOptions> = {}): WarmBudgetOptions {
  return resolveOptions(warmBudgetDefaults, bounds, options);
}

/** The largest warmPingsPerHour the config allows (LimitsSchema). */
export const maxWarmPingsPerHour = 100_000;

/** One warmed function over the window. */
export interface WarmedFunction {
  /** Its name. */
  fn: string;
  /** Requests it served (the metric store's rollups). */
  requests: number;
  /** Those that met a cold start. */
  coldStarts: number;
  /** Pings the warmer left out for the budget. */
  leftOutPings: number;
  /** Their chances of avoiding a cold start, added up. */
  leftOutChance: number;
}

/** The warmer's pings over the window, split by what they found. */
export interface PingLatencies {
  /** Pings that booted a worker. */
  coldPings: number;
  /** Their mean latency, ms; null without any. */
  coldMeanMs: number | null;
  /** Pings that found a live worker. */
  warmPings: number;
  /** Their mean latency, ms; null without any. */
  warmMeanMs: number | null;
}

/** What the rule decides on. */
export interface WarmBudgetInput {
  /** The analysis window. */
  window: Window;
  /** The warmer's targets over it. */
  functions: WarmedFunction[];
  /** Its pings over it. */
  pings: PingLatencies;
}

/** The rule's name, for the checks that recognise its findings. */
export const warmBudgetRule = "warm.budget-short";
const rule = warmBudgetRule;
const subject = "warmer:limits.warmPingsPerHour";

/** The model of the rule's estimate, as findings state it. */
export const warmBudgetModel: string =
  "cold starts the warmer's planner expected the pings left out for limits.warmPingsPerHour to avoid (each " +
  "ping's chance, per function at most the cold starts its requests met), times a boot's measured cost (the " +
  "mean latency of the warmer's pings that booted a worker less that of those that found one)";

/** Runs the rule: a finding, or the reason it did not fire. */
export function analyzeWarmBudget(
  input: WarmBudgetInput,
  config: Pick<OptimizationConfig, "modules" | "limits">,
  options: WarmBudgetOptions = warmBudgetDefaults,
): AnalysisResult {
  return collect([warmBudget(input, config, options)]);
}

function warmBudget(
  input: WarmBudgetInput,
  config: Pick<OptimizationConfig, "modules" | "limits">,
  options: WarmBudgetOptions,
) {
  const budget = config.limits.warmPingsPerHour;
  // 1. warmer
  if (!config.modules.warmer) return reject(rule, subject, "modules.warmer is off: no budget to raise");
  // 2. left out
  const leftOut = input.functions.reduce((sum, f) => sum + f.leftOutPings, 0);
  if (leftOut < options.minLeftOutPings) {
    return reject(
      rule,
      subject,
      `${leftOut} pings left out for the budget is below minLeftOutPings ${options.minLeftOutPings}`,
    );
  }
  // 3. boot
  const { coldPings, coldMeanMs, warmPings, warmMeanMs } = input.pings;
  if (coldPings < options.minBootPings || warmPings < options.minBootPings) {
    return reject(
      rule,
      subject,
      `a boot's cost is not measured: ${coldPings} pings booted a worker and ${warmPings} found one, ` +
        `minBootPings ${options.minBootPings} each`,
    );
  }
  const bootMs = coldMeanMs! - warmMeanMs!;
  if (!(bootMs > 0)) {
    return reject(
      rule,
      subject,
      `pings that booted a worker took ${coldMeanMs!.toFixed(1)} ms, no longer than those that found one ` +
        `(${warmMeanMs!.toFixed(1)} ms): a cold start costs nothing measurable`,
    );
  }
  // 4. avoidable
  const avoidable = input.functions.map((f) => ({
    ...f,
    avoidable: Math.min(f.leftOutChance, f.coldStarts),
  }));
  const coldStartsAvoided = avoidable.reduce((sum, f) => sum + f.avoidable, 0);
  if (coldStartsAvoided < options.minColdStartsAvoided) {
    return reject(
      rule,
      subject,
      `the pings left out were expected to avoid ${coldStartsAvoided.toFixed(2)} cold starts, below ` +
        `minColdStartsAvoided ${options.minColdStartsAvoided}`,
    );
  }
  // 5. room
  if (budget >= maxWarmPingsPerHour) {
    return reject(rule, subject, `limits.warmPingsPerHour is at its ceiling ${maxWarmPingsPerHour}`);
  }
  const windowMs = Date.parse(input.window.to) - Date.parse(input.window.from);
  const raised = Math.min(maxWarmPingsPerHour, budget + Math.ceil((leftOut * HOUR_MS) / windowMs));
  return found({
    rule,
    system: "edge",
    subject,
    severity: "info",
    title: `The warm budget (${budget} pings an hour) left ${leftOut} pings out while warmed functions ` +
      "started cold",
    detail: [
      `The warmer left ${leftOut} pings out for limits.warmPingsPerHour (${budget}) over the window; they were ` +
      `expected to avoid ${coldStartsAvoided.toFixed(1)} cold starts. A boot costs ${
        bootMs.toFixed(1)
      } ms (${coldPings} pings that booted a worker, mean ${
        coldMeanMs!.toFixed(1)
      } ms, against ${warmPings} ` +
      `that found one, ${warmMeanMs!.toFixed(1)} ms). A budget of ${raised} would have bought them; more ` +
      "pings are more invocations billed.",
      ...avoidable.map(functionLine),
    ].join("\n"),
    evidence: {
      series: ["optimizer.runs(warmer)", "optimizer.warm_pings", "optimizer.metric_rollups(edge/*/request)"],
      windows: [input.window],
      statistic: { name: "pings an hour added", value: raised - budget, unit: "pings" },
    },
    gain: estimatedGain(Math.round(coldStartsAvoided * bootMs), "ms", warmBudgetModel),
    action: { kind: "config", patch: { limits: { warmPingsPerHour: raised } } },
  });
}

const functionLine = (f: WarmedFunction & { avoidable: number }) =>
  `- function ${f.fn} (${f.requests} requests, ${f.coldStarts} cold starts): ${f.leftOutPings} pings left ` +
  `out, expected to avoid ${f.avoidable.toFixed(2)} cold starts`;

const functionLinePattern =
  /^- function (\S+) \((\d+) requests, (\d+) cold starts\): \d+ pings left out, expected to avoid ([\d.]+) cold starts$/;
const bootPattern = /A boot costs ([\d.]+) ms/;

/** A warmed function as a `warm.budget-short` finding lists it. */
export interface BudgetedFunction {
  /** Its name. */
  fn: string;
  /** Requests over the finding's window. */
  requests: number;
  /** Cold starts among them. */
  coldStarts: number;
  /** Cold starts the pings left out were expected to avoid. */
  expectedAvoided: number;
}

/** Pure: the functions and the boot's cost a `warm.budget-short` finding states; null for another finding. */
export function budgetedFunctions(
  finding: Pick<Finding, "rule" | "detail">,
): { functions: BudgetedFunction[]; bootMs: number } | null {
  const boot = bootPattern.exec(finding.detail);
  if (finding.rule !== rule || !boot) return null;
  const functions = finding.detail.split("\n").flatMap((line) => {
    const match = functionLinePattern.exec(line);
    return match
      ? [{
        fn: match[1],
        requests: Number(match[2]),
        coldStarts: Number(match[3]),
        expectedAvoided: Number(match[4]),
      }]
      : [];
  });
  return { functions, bootMs: Number(boot[1]) };
}
