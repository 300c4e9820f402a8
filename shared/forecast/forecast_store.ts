import type postgres from "postgres";
import { busiestTargets } from "../analyze/target_series.ts";
import type { Sql } from "../db/client.ts";
import { finishRun, type RunLog, startRun } from "../db/run_log.ts";
import type { MetricSystem } from "../metrics/metric_event.ts";
import {
  type ForecastAccuracy,
  forecastAccuracyOf,
  type ForecastAccuracyRow,
} from "../status/status_report.ts";
import { MINUTE_MS } from "../time.ts";
import { readWorkload } from "../workload/workload.ts";
import type { Forecast } from "./forecast.ts";
import type { ReferenceForecast } from "./reference.ts";
import { type CountSeries, regularSeries } from "./series.ts";

/**
 * Postgres adapter of the predictive module's forecasts: the per-minute history a forecast is made from
 * (optimizer.metric_rollups; for statements, optimizer.statement_call_minutes() over the statement snapshots),
 * the forecasts it stores with the reference beside each point, their scoring (optimizer.score_forecasts()) and
 * the run log. Schema: supabase/migrations/20261128005000_optimizer_forecasts.sql and
 * 20261129000000_optimizer_statement_forecasts.sql.
 */

/**
 * A series of the metric store: the rollup rows of one system, target and kind; or, as system `db` and kind
 * `calls` (statementCalls), one statement's calls, its queryid the target.
 */
export interface ForecastTarget {
  /** The events' system. */
  system: MetricSystem;
  /** A function's name, a cache namespace, a statement's queryid, … */
  target: string;
  /** The events' kind, e.g. `request` or `lookup`. */
  kind: string;
}

/** The series kind of statement calls, read from the statement snapshots rather than the rollups. */
export const statementCalls = { system: "db", kind: "calls" } as const satisfies Omit<
  ForecastTarget,
  "target"
>;

/** Whether a series is a statement's calls (statementCalls). */
export const isStatementCalls = (filter: { system: string; kind: string }): boolean =>
  filter.system === statementCalls.system && filter.kind === statementCalls.kind;

/** Whether `target` is a queryid as pg_stat_statements has it (a bigint); one that is not names no statement. */
function isQueryid(target: string): boolean {
  if (!/^-?\d{1,19}$/.test(target)) return false;
  const value = BigInt(target);
  return value >= -(2n ** 63n) && value < 2n ** 63n;
}

/** What the predictive module reads and writes; its runs are module `predictive`'s. */
export interface ForecastStore extends RunLog {
  /** The targets of `system` and `kind` with the most events over [from, to), busiest first. */
  busiestTargets(
    filter: { system: MetricSystem; kind: string },
    from: Date,
    to: Date,
    limit: number,
  ): Promise<string[]>;
  /** The target's events per minute over [from, to) (whole minutes); minutes without a rollup row are 0. */
  history(target: ForecastTarget, from: Date, to: Date): Promise<CountSeries>;
  /** Stores a forecast with its reference, in the run that made it; returns its id. */
  save(
    runId: string,
    target: ForecastTarget,
    forecast: Forecast,
    reference: ReferenceForecast,
    madeAt: Date,
    historyMinutes: number,
  ): Promise<string>;
  /**
   * The latest forecast of each target of `system` and `kind` made at or after `since`, with the points not
   * scored yet (scoring deletes them), in time order: what a system-wide run plans buffer loads from between
   * predictive runs.
   */
  latestForecasts(
    filter: { system: MetricSystem; kind: string },
    since: Date,
  ): Promise<StoredForecast[]>;
  /** Scores every forecast whose minutes all lie before `settledBefore`; returns how many. */
  score(settledBefore: Date): Promise<number>;
  /** Each target's accuracy over the forecasts made since `since` and scored (optimizer.forecast_accuracy()). */
  accuracy(since: Date): Promise<ForecastAccuracy[]>;
}

/** A stored forecast as latestForecasts() reads it. */
export interface StoredForecast {
  /** The series' target. */
  target: string;
  /** When it was made. */
  madeAt: Date;
  /** Its points, one a minute. */
  points: { atMs: number; value: number }[];
}

const json = (sql: Pick<Sql, "json">, value: unknown) => sql.json(value as postgres.JSONValue);

/** The store over `sql` (the service role's connection). */
export function createForecastStore(sql: Sql): ForecastStore {
  return {
    async busiestTargets(filter, from, to, limit) {
      if (!isStatementCalls(filter)) return (await busiestTargets(sql, filter, from, to, limit)).targets;
      // the project's statements, the suite's own left out, as the index advisor reads them
      const { statements } = await readWorkload(sql, { from, to });
      return statements.toSorted((a, b) => b.calls - a.calls).slice(0, limit).map((s) => s.queryid);
    },
    async history(target, from, to) {
      if (isStatementCalls(target)) {
        if (!isQueryid(target.target)) {
          return regularSeries([], { fromMs: from.getTime(), toMs: from.getTime(), stepMs: MINUTE_MS });
        }
        // minutes after the latest snapshot are not known yet: the series ends there, not with zeros
        const [{ until }] = await sql<{ until: Date | null }[]>`
          select optimizer.statement_minutes_known_until() as until`;
        const end = new Date(
          Math.max(from.getTime(), Math.min(to.getTime(), until?.getTime() ?? from.getTime())),
        );
        const rows = await sql<{ minute: Date; calls: number }[]>`
          select c.minute, c.calls
          from optimizer.statement_call_minutes(${from}, ${end}, array[${target.target}::bigint]) c`;
        return regularSeries(
          rows.map((row) => ({ atMs: row.minute.getTime(), value: row.calls })),
          { fromMs: from.getTime(), toMs: end.getTime(), stepMs: MINUTE_MS },
        );
      }
      const rows = await sql<{ minute: Date; count: string }[]>`
        select r.minute, sum(r.count) as count
        from optimizer.metric_rollups r
        where r.system = ${target.system} and r.target = ${target.target} and r.kind = ${target.kind}
          and r.minute >= ${from.toISOString()}::timestamptz and r.minute < ${to.toISOString()}::timestamptz
        group by r.minute`;
      return regularSeries(
        rows.map((row) => ({ atMs: row.minute.getTime(), value: Number(row.count) })),
        { fromMs: from.getTime(), toMs: to.getTime(), stepMs: MINUTE_MS },
      );
    },
    async save(runId, target, forecast, reference, madeAt, historyMinutes) {
      return await sql.begin(async (tx) => {
        const [{ id }] = await tx<{ id: string }[]>`
          insert into optimizer.forecasts (run_id, made_at, system, target, kind, model, params, reference, backtest,
            history_minutes)
          values (${runId}, ${madeAt}, ${target.system}, ${target.target}, ${target.kind}, ${forecast.model},
            ${json(tx, forecast.params)}, ${reference.model}, ${
          json(tx, forecast.backtest)
        }, ${historyMinutes})
          returning id`;
        const points = forecast.points.map((point, k) => ({
          forecast_id: id,
          minute: new Date(point.atMs),
          value: point.value,
          low: point.low,
          high: point.high,
          reference: reference.values[k],
        }));
        if (points.length > 0) {
          await tx`insert into optimizer.forecast_points ${
            tx(points, "forecast_id", "minute", "value", "low", "high", "reference")
          }`;
        }
        return String(id);
      });
    },
    async latestForecasts(filter, since) {
      const rows = await sql<
        { target: string; made_at: Date; minutes: Date[] | null; values: number[] | null }[]
      >`
        select f.target, f.made_at,
               (select pg_catalog.array_agg(p.minute order by p.minute) from optimizer.forecast_points p
                where p.forecast_id = f.id) as minutes,
               (select pg_catalog.array_agg(p.value order by p.minute) from optimizer.forecast_points p
                where p.forecast_id = f.id) as values
        from (
          select distinct on (f.target) f.id, f.target, f.made_at from optimizer.forecasts f
          where f.system = ${filter.system} and f.kind = ${filter.kind}
            and f.made_at >= ${since.toISOString()}::timestamptz
          order by f.target, f.made_at desc, f.id desc
        ) f
        order by f.target`;
      return rows.map((row) => ({
        target: row.target,
        madeAt: new Date(row.made_at),
        points: (row.minutes ?? []).map((minute, k) => ({
          atMs: new Date(minute).getTime(),
          value: row.values![k],
        })),
      }));
    },
    async score(settledBefore) {
      const [{ scored }] = await sql<{ scored: number }[]>`
        select optimizer.score_forecasts(${settledBefore.toISOString()}::timestamptz) as scored`;
      return scored;
    },
    async accuracy(since) {
      const [{ rows }] = await sql<{ rows: ForecastAccuracyRow[] }[]>`
        select optimizer.forecast_accuracy(${since.toISOString()}::timestamptz) as rows`;
      return rows.map(forecastAccuracyOf);
    },
    startRun: (trigger, now) => startRun(sql, "predictive", trigger, now),
    finishRun: (id, status, summary, error) => finishRun(sql, id, status, summary, error),
  };
}
