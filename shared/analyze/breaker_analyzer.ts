import type { Analyzer } from "../recommendations/analyzer.ts";
import { breakerCallKind } from "../resilience/breaker_events.ts";
import { analyzeBreakers, type BreakerAnalyzerOptions, resolveBreakerOptions } from "./breaker.ts";
import { createTargetAnalyzer } from "./target_analyzer.ts";

/**
 * The breaker analyzer: each shared breaker's calls from the rollups (createTargetAnalyzer), then
 * analyzeBreakers(). Apps that call their dependencies without a shared breaker report no such calls, and
 * the analyzer finds nothing for them.
 */

/** The breaker analyzer with `options` over breakerAnalyzerDefaults; throws RangeError for a bad option. */
export function createBreakerAnalyzer(options: Partial<BreakerAnalyzerOptions> = {}): Analyzer {
  const resolved = resolveBreakerOptions(options);
  return createTargetAnalyzer({
    name: "breakers",
    filter: { system: "edge", kind: breakerCallKind },
    targets: "breakers",
    maxTargets: resolved.maxTargets,
    decide: ({ series, window }) => analyzeBreakers({ breakers: series, window }, resolved),
  });
}
