import type { Analyzer } from "../recommendations/analyzer.ts";
import { analysisWindows, findingWindow } from "./analysis_window.ts";
import { analyzeEdge, type EdgeAnalyzerOptions, resolveEdgeOptions } from "./edge.ts";
import { loadNotes, loadTargetSeries } from "./target_series.ts";

/** The edge analyzer: each function's requests from the rollups (loadTargetSeries), then analyzeEdge(). */

/** The edge analyzer with `options` over edgeAnalyzerDefaults; throws RangeError for a bad option. */
export function createEdgeAnalyzer(options: Partial<EdgeAnalyzerOptions> = {}): Analyzer {
  const resolved = resolveEdgeOptions(options);
  return {
    name: "edge",
    async analyze(context) {
      const windows = analysisWindows(context.window);
      const requests = await loadTargetSeries(
        context.sql,
        windows,
        { system: "edge", kind: "request" },
        resolved.maxTargets,
        context.deadline,
      );
      const result = analyzeEdge(
        {
          functions: requests.series,
          window: findingWindow(windows.current),
          previousWindow: findingWindow(windows.previous),
        },
        context.config,
        resolved,
      );
      result.notes.push(...loadNotes(requests, "functions", resolved.maxTargets));
      return result;
    },
  };
}
