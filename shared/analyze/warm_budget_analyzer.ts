import type { Sql } from "../db/client.ts";
import type { Analyzer } from "../recommendations/analyzer.ts";
import { analysisWindows, findingWindow } from "./analysis_window.ts";
import {
  analyzeWarmBudget,
  type PingLatencies,
  resolveWarmBudgetOptions,
  type WarmBudgetOptions,
  type WarmedFunction,
} from "./warm_budget.ts";

/**
 * The warm budget's analyzer: over the analysis window (in whole minutes), the pings each warmer run left out
 * for the budget (the skips of its summary that carry a chance), each warmed function's requests and cold
 * starts (the rollups), and the latency of the warmer's pings by what they found; then analyzeWarmBudget().
 * The warmer's runs, its pings and the rollups all stand on the warmer's clock (shared/clock.ts).
 */

/** The analyzer with `options` over warmBudgetDefaults; throws RangeError for a bad option. */
export function createWarmBudgetAnalyzer(options: Partial<WarmBudgetOptions> = {}): Analyzer {
  const resolved = resolveWarmBudgetOptions(options);
  return {
    name: "warm-budget",
    async analyze(context) {
      const { current } = analysisWindows(context.window);
      const [functions, pings] = await Promise.all([
        warmedFunctions(context.sql, current),
        pingLatencies(context.sql, current),
      ]);
      return analyzeWarmBudget(
        { window: findingWindow(current), functions, pings },
        context.config,
        resolved,
      );
    },
  };
}

/** The enabled warm targets and every function a run left pings out for, with their figures. */
async function warmedFunctions(sql: Sql, window: { from: Date; to: Date }): Promise<WarmedFunction[]> {
  const rows = await sql<
    { fn: string; requests: string; cold_starts: string; left_out: string; chance: number }[]
  >`
    with left_out as (
      select x ->> 'fn' as fn, count(*) as pings, sum((x ->> 'budgetChance')::double precision) as chance
      from optimizer.runs r
      cross join lateral pg_catalog.jsonb_array_elements(
        -- a failed run has no plan
        case when pg_catalog.jsonb_typeof(r.summary -> 'skipped') = 'array' then r.summary -> 'skipped'
             else '[]'::jsonb end
      ) x
      where r.module = 'warmer' and r.started_at >= ${window.from} and r.started_at < ${window.to}
        -- only the skips for the budget carry a chance (plan_warmups.ts)
        and x -> 'budgetChance' is not null
      group by 1
    ),
    functions as (
      select t.function_name as fn from optimizer.warm_targets t where t.enabled
      union
      select fn from left_out
    ),
    served as (
      select m.target as fn, sum(m.count) as requests, sum(m.cold_starts) as cold_starts
      from optimizer.metric_rollups m
      where m.system = 'edge' and m.kind = 'request' and m.minute >= ${window.from} and m.minute < ${window.to}
      group by 1
    )
    select f.fn, coalesce(s.requests, 0)::text as requests, coalesce(s.cold_starts, 0)::text as cold_starts,
           coalesce(l.pings, 0)::text as left_out, coalesce(l.chance, 0) as chance
    from functions f
    left join served s on s.fn = f.fn
    left join left_out l on l.fn = f.fn
    order by f.fn`;
  return rows.map((row) => ({
    fn: row.fn,
    requests: Number(row.requests),
    coldStarts: Number(row.cold_starts),
    leftOutPings: Number(row.left_out),
    leftOutChance: row.chance,
  }));
}

/** The pings sent and answered in the window, split by whether they booted a worker. */
async function pingLatencies(sql: Sql, window: { from: Date; to: Date }): Promise<PingLatencies> {
  const [row] = await sql<
    { cold: string; cold_mean: number | null; warm: string; warm_mean: number | null }[]
  >`
    select count(*) filter (where p.cold_start)::text as cold,
           avg(p.latency_ms) filter (where p.cold_start) as cold_mean,
           count(*) filter (where not p.cold_start)::text as warm,
           avg(p.latency_ms) filter (where not p.cold_start) as warm_mean
    from optimizer.warm_pings p
    where p.planned_at >= ${window.from} and p.planned_at < ${window.to}
      -- a failed ping's latency is its timeout, not a boot
      and p.sent_at is not null and p.error is null and p.latency_ms is not null and p.cold_start is not null`;
  return {
    coldPings: Number(row.cold),
    coldMeanMs: row.cold_mean,
    warmPings: Number(row.warm),
    warmMeanMs: row.warm_mean,
  };
}
