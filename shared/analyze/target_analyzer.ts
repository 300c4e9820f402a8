import type { MetricSystem } from "../metrics/metric_event.ts";
import type { AnalysisContext, AnalysisResult, Analyzer } from "../recommendations/analyzer.ts";
import { type AnalysisWindows, analysisWindows, findingWindow } from "./analysis_window.ts";
import { loadNotes, loadTargetSeries, type TargetSeries } from "./target_series.ts";
import type { Window } from "../finding/finding.ts";

/**
 * The shape of an analyzer of one system's targets (the edge analyzer's functions, the cache analyzer's
 * namespaces): read the busiest targets' series over the analysis window and the one before
 * (loadTargetSeries), let the rules decide, and note what the read left out.
 */

/** What the rules of a target analyzer are given. */
export interface TargetsRead {
  /** The busiest targets' series, most events first. */
  series: TargetSeries[];
  /** The windows read. */
  windows: AnalysisWindows;
  /** The analysis window as findings state it. */
  window: Window;
  /** The window before it as findings state it. */
  previousWindow: Window;
}

/** How a target analyzer reads and decides. */
export interface TargetAnalyzerSpec {
  /** The analyzer's name in runs and notes. */
  name: string;
  /** The events read: one system and kind. */
  filter: { system: MetricSystem; kind: string };
  /** What the targets are called in notes, plural ("functions"). */
  targets: string;
  /** Targets analyzed, busiest first. */
  maxTargets: number;
  /** The rules: findings and rejections from what was read (it may read more through the context). */
  decide(read: TargetsRead, context: AnalysisContext): AnalysisResult | Promise<AnalysisResult>;
  /** Notes every run states after the load's own (what the rules cannot see). */
  notes?: string[];
}

/** The analyzer `spec` describes (see the top of this file). */
export function createTargetAnalyzer(spec: TargetAnalyzerSpec): Analyzer {
  return {
    name: spec.name,
    async analyze(context) {
      const windows = analysisWindows(context.window);
      const loaded = await loadTargetSeries(
        context.sql,
        windows,
        spec.filter,
        spec.maxTargets,
        context.deadline,
      );
      const result = await spec.decide({
        series: loaded.series,
        windows,
        window: findingWindow(windows.current),
        previousWindow: findingWindow(windows.previous),
      }, context);
      result.notes.push(...loadNotes(loaded, spec.targets, spec.maxTargets), ...(spec.notes ?? []));
      return result;
    },
  };
}
