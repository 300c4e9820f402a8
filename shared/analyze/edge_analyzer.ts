import type { Analyzer } from "../recommendations/analyzer.ts";
import { analyzeEdge, type EdgeAnalyzerOptions, resolveEdgeOptions } from "./edge.ts";
import { createTargetAnalyzer } from "./target_analyzer.ts";

/** The edge analyzer: each function's requests from the rollups (createTargetAnalyzer), then analyzeEdge(). */

/** The edge analyzer with `options` over edgeAnalyzerDefaults; throws RangeError for a bad option. */
export function createEdgeAnalyzer(options: Partial<EdgeAnalyzerOptions> = {}): Analyzer {
  const resolved = resolveEdgeOptions(options);
  return createTargetAnalyzer({
    name: "edge",
    filter: { system: "edge", kind: "request" },
    targets: "functions",
    maxTargets: resolved.maxTargets,
    decide: ({ series, window, previousWindow }, context) =>
      analyzeEdge({ functions: series, window, previousWindow }, context.config, resolved),
  });
}
