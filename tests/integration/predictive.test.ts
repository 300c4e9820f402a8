/**
 * The predictive module against the stack's Postgres: per-minute history from the rollups, forecasts stored
 * and scored once their minutes have happened, their accuracy in the status report, the function's routes
 * through the gateway, and the pg_cron job that asks for a refresh.
 */
import assert from "node:assert/strict";
import {
  createForecastStore,
  createSql,
  type Forecast,
  MINUTE_MS,
  type ReferenceForecast,
} from "../../shared/mod.ts";
import { stackEnv } from "../support/env.ts";
import { type Sql, uniqueTarget, withSql } from "../support/metric_store_db.ts";

const env = stackEnv();

/** Rollup rows of `target` (system edge, kind request): one per minute and source. */
async function insertMinutes(
  sql: Sql,
  target: string,
  rows: { minute: number; count: number; source?: string }[],
): Promise<void> {
  for (const row of rows) {
    await sql`
      insert into optimizer.metric_rollups (minute, system, target, kind, source, count)
      values (${new Date(row.minute).toISOString()}, 'edge', ${target}, 'request', ${
      row.source ?? "server"
    }, ${row.count})`;
  }
}

/** Runs `body` with the forecast store over a connection of its own. */
async function withStore<T>(body: (store: ReturnType<typeof createForecastStore>) => Promise<T>): Promise<T> {
  const sql = createSql({ functionName: "predictive-test", url: env.dbUrl, max: 1 });
  try {
    return await body(createForecastStore(sql));
  } finally {
    await sql.end();
  }
}

/** A forecast of `values` from `startMs` with intervals [low, high], as forecastSeries() would give it. */
function forecastOf(startMs: number, values: number[], low: number, high: number): Forecast {
  return {
    model: "last-value",
    params: {},
    stepMs: MINUTE_MS,
    points: values.map((value, k) => ({ atMs: startMs + k * MINUTE_MS, value, low, high })),
    intervalLevel: 0.8,
    backtest: null,
    verdicts: [],
  };
}

const hourAgo = () => Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 60 * MINUTE_MS;

Deno.test("the forecast store reads a target's events per minute, summing sources, 0 where no row", async () => {
  const target = uniqueTarget("history");
  const m0 = hourAgo();
  await withSql((sql) =>
    insertMinutes(sql, target, [
      { minute: m0, count: 3 },
      { minute: m0, count: 2, source: "user:someone" },
      { minute: m0 + 2 * MINUTE_MS, count: 5 },
    ])
  );
  const series = await withStore((store) =>
    store.history({ system: "edge", target, kind: "request" }, new Date(m0), new Date(m0 + 4 * MINUTE_MS))
  );
  assert.deepEqual(series, { startMs: m0, stepMs: MINUTE_MS, values: [5, 0, 5, 0] });
});

/** Stores a forecast of `target` from `startMs` in a run of its own; returns the forecast's id. */
function storeForecast(target: string, startMs: number, values: number[], reference: ReferenceForecast) {
  return withStore(async (store) => {
    const runId = await store.startRun("api", new Date());
    const id = await store.save(
      runId,
      { system: "edge", target, kind: "request" },
      forecastOf(startMs, values, 0, 2),
      reference,
      new Date(startMs),
      60,
    );
    await store.finishRun(runId, "succeeded", {}, null);
    return id;
  });
}

Deno.test("latestForecasts() reads each target's newest forecast made since the time asked, with its points", async () => {
  const target = uniqueTarget("latest");
  const m0 = Date.now() + 10 * MINUTE_MS;
  const reference = { model: "last-value" as const, values: [0, 0] };
  await storeForecast(target, m0, [1, 1], reference);
  await storeForecast(target, m0 + MINUTE_MS, [2, 3], reference);
  const since = (at: number) =>
    withStore((store) => store.latestForecasts({ system: "edge", kind: "request" }, new Date(at)));
  const ours = (await since(m0)).filter((f) => f.target === target);
  assert.deepEqual(ours, [{
    target,
    madeAt: new Date(m0 + MINUTE_MS),
    points: [{ atMs: m0 + MINUTE_MS, value: 2 }, { atMs: m0 + 2 * MINUTE_MS, value: 3 }],
  }]);
  assert.deepEqual((await since(m0 + 2 * MINUTE_MS)).filter((f) => f.target === target), []);
});

Deno.test("score_forecasts() scores a forecast once its minutes have happened, then drops its points", async () => {
  const target = uniqueTarget("score");
  const m0 = hourAgo();
  await withSql((sql) =>
    insertMinutes(sql, target, [
      { minute: m0, count: 1 },
      { minute: m0 + MINUTE_MS, count: 3 },
      { minute: m0 + 3 * MINUTE_MS, count: 1 },
    ])
  );
  const id = await storeForecast(target, m0, [1, 1, 1, 1], { model: "last-value", values: [0, 0, 0, 0] });
  assert.ok((await withStore((store) => store.score(new Date()))) >= 1);
  await withSql(async (sql) => {
    const [row] = await sql`
      select minutes, abs_error, reference_abs_error, bounded, covered, scored_at is not null as scored
      from optimizer.forecasts where id = ${id}`;
    // outcomes 1, 3, 0, 1 against 1, 1, 1, 1 (reference 0, 0, 0, 0; interval [0, 2])
    assert.deepEqual({ ...row }, {
      minutes: 4,
      abs_error: 3,
      reference_abs_error: 5,
      bounded: 4,
      covered: 3,
      scored: true,
    });
    const [{ points }] =
      await sql`select count(*)::int as points from optimizer.forecast_points where forecast_id = ${id}`;
    assert.equal(points, 0);
  });
});

Deno.test("score_forecasts() leaves a forecast whose minutes have not all happened", async () => {
  const target = uniqueTarget("unsettled");
  const id = await storeForecast(target, Date.now() + 10 * MINUTE_MS, [2, 2], {
    model: "last-value",
    values: [1, 1],
  });
  await withStore((store) => store.score(new Date()));
  await withSql(async (sql) => {
    const [row] = await sql`
      select f.scored_at, (select count(*)::int from optimizer.forecast_points p where p.forecast_id = f.id) as points
      from optimizer.forecasts f where f.id = ${id}`;
    assert.deepEqual({ ...row }, { scored_at: null, points: 2 });
  });
});

Deno.test("score_forecasts() scores at most 500 forecasts a call, the oldest first, so a backlog drains", async () => {
  await withSql(async (sql) => {
    const rollback = new Error("rolled back on purpose");
    await assert.rejects(
      sql.begin(async (tx) => {
        // earlier runs' forecasts would be scored first: none is left unscored here
        await tx`update optimizer.forecasts set scored_at = now() where scored_at is null`;
        const [{ id: runId }] = await tx`
          insert into optimizer.runs (module, trigger, status) values ('predictive', 'api', 'succeeded')
          returning id`;
        const target = uniqueTarget("backlog");
        await tx`
          with made as (
            insert into optimizer.forecasts (run_id, made_at, system, target, kind, model, reference, history_minutes)
            select ${runId}, now() - interval '1 hour', 'edge', ${target} || '-' || k, 'request', 'ses', 'last-value', 60
            from pg_catalog.generate_series(1, 501) k
            returning id
          )
          insert into optimizer.forecast_points (forecast_id, minute, value, reference)
          select m.id, pg_catalog.date_trunc('minute', now()) - interval '30 minutes', 1, 1 from made m`;
        const scored = async () => (await tx`select optimizer.score_forecasts(now()) as n`)[0].n;
        assert.equal(await scored(), 500);
        const [{ last }] = await tx`
          select max(id) = max(id) filter (where scored_at is null) as last
          from optimizer.forecasts where run_id = ${runId}`;
        assert.equal(last, true, "the newest waits for the next call");
        assert.equal(await scored(), 1);
        throw rollback;
      }),
      (error) => error === rollback,
    );
  });
});

Deno.test("GET /status gives each forecast series' accuracy over the last 7 days", async () => {
  const target = uniqueTarget("status");
  const m0 = hourAgo();
  await withSql((sql) =>
    insertMinutes(sql, target, [{ minute: m0, count: 4 }, { minute: m0 + MINUTE_MS, count: 2 }])
  );
  await storeForecast(target, m0, [3, 3], { model: "seasonal-naive-daily", values: [0, 0] });
  await withStore((store) => store.score(new Date()));
  const response = await fetch(`${env.url}/functions/v1/status`, { headers: { apikey: env.secretKey } });
  assert.equal(response.status, 200);
  const { forecasts } = await response.json();
  const row = forecasts.find((f: { target: string }) => f.target === target);
  // outcomes 4 and 2 against 3 and 3 (reference 0 and 0); of the two, only 2 is inside the interval [0, 2]
  assert.deepEqual(row, {
    system: "edge",
    target,
    kind: "request",
    forecasts: 1,
    minutes: 2,
    mae: 1,
    referenceMae: 3,
    mase: 2 / 6,
    coverage: 0.5,
    model: "last-value",
    reference: "seasonal-naive-daily",
  });
});

Deno.test("GET /predictive/forecast forecasts a function's requests per minute from the rollups", async () => {
  const target = uniqueTarget("forecast");
  const now = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  await withSql((sql) =>
    insertMinutes(
      sql,
      target,
      Array.from({ length: 120 }, (_, i) => ({ minute: now - (123 - i) * MINUTE_MS, count: 4 })),
    )
  );
  const response = await fetch(
    `${env.url}/functions/v1/predictive/forecast?system=edge&target=${target}&kind=request&historyDays=1&horizonMinutes=30`,
    { headers: { apikey: env.secretKey } },
  );
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.ok(body.history.events >= 4 * 110, `events ${body.history.events}`);
  assert.equal(body.forecast.points.length, 30);
  assert.ok(
    Math.abs(body.forecast.points[0].value - 4) < 0.5,
    `first point ${body.forecast.points[0].value}`,
  );
});

Deno.test("GET /predictive/forecast refuses the publishable key", async () => {
  const response = await fetch(
    `${env.url}/functions/v1/predictive/forecast?system=edge&target=x&kind=request`,
    { headers: { apikey: env.publishableKey } },
  );
  assert.equal(response.status, 403);
  await response.body?.cancel();
});

Deno.test("POST /predictive/run refreshes the forecasts, reports their accuracy and records the run", async () => {
  const target = uniqueTarget("run");
  const m0 = hourAgo();
  await withSql((sql) => insertMinutes(sql, target, [{ minute: m0, count: 5 }]));
  await storeForecast(target, m0, [4], { model: "seasonal-naive-daily", values: [0] });
  const response = await fetch(`${env.url}/functions/v1/predictive/run`, {
    method: "POST",
    headers: { apikey: env.secretKey },
  });
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.success, true);
  assert.ok(Array.isArray(body.optimizationsApplied) && Array.isArray(body.estimatedPerformanceGain));
  assert.ok(
    body.forecastAccuracy.some((row: { target: string; mae: number }) =>
      row.target === target && row.mae === 1
    ),
    "the forecast of the minute that happened was scored before the accuracy was read",
  );
  assert.ok(body.forecasts.scored >= 1);
  assert.equal(typeof body.history.enough, "boolean");
  assert.equal(typeof body.buffers.dips.intervals, "number");
  await withSql(async (sql) => {
    const [run] =
      await sql`select module, status, summary ->> 'success' as success from optimizer.runs where id = ${body.runId}`;
    assert.deepEqual({ ...run }, { module: "predictive", status: "succeeded", success: "true" });
  });
});
