/**
 * Where each scenario's app DB time goes: the app's statements as pg_stat_statements normalizes them, with
 * their execution time and calls over a run's measured window, and a table of the heaviest of them side by
 * side across scenarios (median over repeats). It shows what an index set left slow, which the total hides.
 */
import { median } from "../stats/percentile.ts";

/** One app statement over a run's measured window. */
export interface StatementTime {
  /** The statement as pg_stat_statements normalizes it. */
  query: string;
  calls: number;
  /** total_exec_time over the window. */
  totalMs: number;
}

/** The per-statement times of one run of one scenario. */
export interface StatementRun {
  scenario: string;
  statements: StatementTime[];
}

/** A statement's median over a scenario's repeats; a repeat where it did not run counts as 0. */
interface Cell {
  totalMs: number;
  calls: number;
}

/** One row of the table: a statement and its median per scenario. */
export interface StatementRow {
  query: string;
  byScenario: Record<string, Cell>;
}

/**
 * Pure: the statements ranked by `rankBy`'s median time (then by the largest median of any scenario), the
 * `limit` heaviest, each with its median time and calls in every scenario.
 */
export function heaviestStatements(
  runs: readonly StatementRun[],
  scenarios: readonly string[],
  rankBy: string,
  limit: number,
): StatementRow[] {
  const repeats = new Map(scenarios.map((s) => [s, runs.filter((r) => r.scenario === s)]));
  const queries = [...new Set(runs.flatMap((r) => r.statements.map((s) => s.query)))];
  const rows = queries.map((query): StatementRow => ({
    query,
    byScenario: Object.fromEntries(scenarios.map((scenario) => {
      const own = repeats.get(scenario)!.map((run) => run.statements.find((s) => s.query === query));
      return [scenario, {
        totalMs: median(own.map((s) => s?.totalMs ?? 0)) ?? 0,
        calls: median(own.map((s) => s?.calls ?? 0)) ?? 0,
      }];
    })),
  }));
  const heaviest = (row: StatementRow) => Math.max(...Object.values(row.byScenario).map((c) => c.totalMs));
  return rows
    .sort((a, b) =>
      (b.byScenario[rankBy]?.totalMs ?? 0) - (a.byScenario[rankBy]?.totalMs ?? 0) || heaviest(b) - heaviest(a)
    )
    .slice(0, limit);
}

/** The table of heaviestStatements(), statements shortened to `maxQueryChars`. */
export function statementTimesMarkdown(
  rows: readonly StatementRow[],
  scenarios: readonly string[],
  maxQueryChars = 110,
): string[] {
  const shorten = (query: string) => {
    const flat = query.replace(/\s+/g, " ").trim();
    return flat.length <= maxQueryChars ? flat : `${flat.slice(0, maxQueryChars - 1).trimEnd()}…`;
  };
  return [
    `| statement | ${scenarios.join(" | ")} |`,
    `| --- | ${scenarios.map(() => "---:").join(" | ")} |`,
    ...rows.map((row) =>
      `| \`${shorten(row.query).replace(/\|/g, "\\|").replace(/`/g, "'")}\` | ${
        scenarios.map((s) => {
          const cell = row.byScenario[s];
          return `${Math.round(cell.totalMs).toLocaleString("en")} ms (${Math.round(cell.calls)})`;
        }).join(" | ")
      } |`
    ),
  ];
}
