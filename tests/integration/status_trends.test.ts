/**
 * The status report's trends on the real metric store: optimizer.rate_series() over rolled-up events, per
 * function and per cache namespace, one point per UTC hour.
 */
import assert from "node:assert/strict";
import { event, ingest, rollup, type Sql, uniqueTarget, withSql } from "../support/metric_store_db.ts";
import { HOUR_MS, MINUTE_MS } from "../../shared/time.ts";
import { type RateSeriesRow, rateTrends } from "../../shared/mod.ts";

/** `count` events at `at`, the first `part` of them cold starts (edge) or hits (cache, the rest misses). */
function events(system: "edge" | "cache", target: string, at: number, count: number, part: number) {
  return Array.from(
    { length: count },
    (_, i) =>
      system === "edge"
        ? event(target, { occurred_at: new Date(at + i * 1000).toISOString(), cold_start: i < part })
        : event(target, {
          system,
          kind: "lookup",
          occurred_at: new Date(at + i * 1000).toISOString(),
          cache: i < part ? "hit" : "miss",
        }),
  );
}

async function seriesOf(sql: Sql, target: string, now: number): Promise<RateSeriesRow[]> {
  const [{ rates }] = await sql`
    select optimizer.rate_series(${new Date(now - 24 * HOUR_MS)}, ${new Date(now)}) as rates`;
  return (rates as RateSeriesRow[]).filter((r) => r.target === target);
}

Deno.test("rate_series() gives each function's requests and cold starts per UTC hour", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("trend-edge");
    const now = Date.now();
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const batch = [
      ...events("edge", fn, hour - 3 * HOUR_MS + MINUTE_MS, 20, 5),
      ...events("edge", fn, hour - 3 * HOUR_MS + 30 * MINUTE_MS, 20, 3),
      ...events("edge", fn, hour - HOUR_MS + MINUTE_MS, 40, 0),
    ];
    assert.equal(await ingest(sql, batch), batch.length);
    await rollup(sql);
    const rows = await seriesOf(sql, fn, now);
    assert.deepEqual(rows.map((r) => [Date.parse(r.at), Number(r.events), Number(r.part)]), [
      [hour - 3 * HOUR_MS, 40, 8],
      [hour - HOUR_MS, 40, 0],
    ]);
    assert.deepEqual(rateTrends(rows, "edge", new Date(now))[0].points.map((p) => p.rate), [0.2, 0]);
  });
});

Deno.test("rate_series() gives each cache namespace's hits among its lookups with a verdict", async () => {
  await withSql(async (sql) => {
    const namespace = uniqueTarget("trend-cache");
    const now = Date.now();
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const batch = events("cache", namespace, hour - 2 * HOUR_MS + MINUTE_MS, 10, 7);
    assert.equal(await ingest(sql, batch), batch.length);
    await rollup(sql);
    const rows = await seriesOf(sql, namespace, now);
    assert.deepEqual(rows.map((r) => [r.system, Date.parse(r.at), Number(r.events), Number(r.part)]), [
      ["cache", hour - 2 * HOUR_MS, 10, 7],
    ]);
  });
});
