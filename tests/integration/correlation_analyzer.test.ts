/**
 * The correlation analyzer through its adapter on the real stack: database, edge and cache events ingested
 * into an hour of the past no other test writes to, rolled up, read back per minute and correlated.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../shared/config/config.ts";
import { createCorrelationAnalyzer } from "../../shared/correlate/correlation_analyzer.ts";
import {
  event,
  ingest,
  rollup,
  type Sql,
  type TestEvent,
  uniqueTarget,
  withSql,
} from "../support/metric_store_db.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

Deno.test("createCorrelationAnalyzer() correlates stored database, edge and cache events minute by minute", async () => {
  await withSql(async (sql) => {
    // An hour 3 to 10 days back (inside raw-event retention), at a random minute so that runs do not meet.
    const from = Math.floor((Date.now() - 3 * DAY_MS) / MINUTE_MS) * MINUTE_MS -
      Math.floor(Math.random() * 7 * 24 * 60) * MINUTE_MS;
    const table = uniqueTarget("robots");
    const fn = uniqueTarget("corr-fn");
    const namespace = uniqueTarget("robots");
    const at = (minute: number, k: number) => new Date(from + minute * MINUTE_MS + k * 1000).toISOString();
    const events: TestEvent[] = [];
    for (let i = 0; i < 60; i++) {
      const cold = i % 6 === 0;
      // The database slows in the minutes the function starts cold, and rises through the hour.
      const dbMs = 5 + i + (cold ? 100 : 0);
      for (let k = 0; k < 10; k++) {
        events.push(event(table, {
          system: "db",
          kind: "query",
          occurred_at: at(i, k),
          latency_ms: dbMs,
          error: i >= 40 && i <= 42 && k < 6,
        }));
        events.push(event(fn, {
          occurred_at: at(i, k),
          latency_ms: 2 * dbMs + 20,
          cold_start: cold && k < 3,
          error: i >= 41 && i <= 43 && k < 6,
        }));
        events.push(event(namespace, {
          system: "cache",
          kind: "lookup",
          occurred_at: at(i, k),
          latency_ms: 1,
          cache: k < 3 ? "hit" : "miss",
        }));
      }
    }
    assert.equal(await ingest(sql, events), events.length);
    await rollup(sql);

    const result = await createCorrelationAnalyzer({ maxTargets: 1000 }).analyze({
      sql,
      now: new Date(),
      // slowQueryMs 40: the table's statements average about 51 ms
      config: parseConfig({ alerts: { slowQueryMs: 40 } }),
      window: { from: new Date(from), to: new Date(from + HOUR_MS) },
      deadline: Date.now() + 60_000,
    });

    const fired = result.findings.map((f) => `${f.rule} ${f.subject}`);
    for (
      const expected of [
        `correlation.cache-and-db cache:${namespace}+db`,
        `correlation.cold-starts-and-db edge:${fn}+db`,
        `correlation.db-bottleneck edge:${fn}+db`,
        "correlation.errors-across-systems systems:db+cache+edge",
      ]
    ) assert.ok(fired.includes(expected), `${expected} did not fire: ${JSON.stringify(result.rejected)}`);
    const errors = result.findings.find((f) => f.rule === "correlation.errors-across-systems")!;
    assert.match(errors.title, new RegExp(`db ${table} fails first`));
    const bottleneck = result.findings.find((f) => f.rule === "correlation.db-bottleneck")!;
    assert.match(bottleneck.detail, new RegExp(`series ${table} \\(rho = 1\\.00, n = 60, p < 0\\.001\\)`));
    // No snapshot is taken in an hour of the past: rule 5 says so.
    assert.deepEqual(
      result.rejected.filter((r) => r.rule === "correlation.connections-and-edge-spikes").map((r) =>
        r.reason
      ),
      ["no database snapshot in the window"],
    );
    assert.equal(result.rejected.filter((r) => r.rule === "correlation.buffer-hit-dips").length, 1);
  });
});

/** Thrown to roll a test's transaction back once its assertions ran. */
class RollBack extends Error {}

Deno.test("createCorrelationAnalyzer() finds buffer-cache dips recurring at 07:00 in stored snapshots and the relation read", async () => {
  await withSql(async (sql) => {
    // Snapshots every 30 minutes over 3 days of 2024, long before any real one (retention keeps 14 days),
    // inserted in a transaction that is rolled back. The interval ending at 07:00 UTC reads 10 % from disk,
    // all of it from one relation.
    const start = Date.parse("2024-03-01T00:00:00Z");
    const takenAt: string[] = [];
    const hits: number[] = [];
    const reads: number[] = [];
    let [hit, read] = [0, 0];
    for (let t = start; t <= start + 3 * DAY_MS; t += 30 * MINUTE_MS) {
      const dip = new Date(t).getUTCHours() === 7 && new Date(t).getUTCMinutes() === 0;
      hit += dip ? 9_000 : 9_990;
      read += dip ? 1_000 : 10;
      takenAt.push(new Date(t).toISOString());
      hits.push(hit);
      reads.push(read);
    }
    const relation = `dip_fixture_${crypto.randomUUID().slice(0, 8)}`;
    const windowTo = new Date(start + 3 * DAY_MS);
    await sql.begin(async (tx) => {
      const ids = await tx<{ id: string; blks_read: string }[]>`
        insert into optimizer.db_snapshots (
          taken_at, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched, tup_inserted,
          tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, connections, connections_total,
          max_connections, database_size_bytes)
        select s.taken_at, 0, 0, s.blks_read, s.blks_hit, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}'::jsonb, 5, 100, 0
        from unnest(${takenAt}::timestamptz[], ${hits}::bigint[], ${reads}::bigint[]) as s(taken_at, blks_hit, blks_read)
        returning id, blks_read`;
      await tx`
        insert into optimizer.db_snapshot_tables (snapshot_id, relid, schemaname, relname, heap_blks_read)
        select s.id, 1, 'public', ${relation}, s.blks_read
        from unnest(${ids.map((r) => r.id)}::bigint[], ${
        ids.map((r) => r.blks_read)
      }::bigint[]) as s(id, blks_read)`;

      const result = await createCorrelationAnalyzer().analyze({
        sql: tx as unknown as Sql,
        now: new Date(),
        config: parseConfig({}),
        window: { from: new Date(windowTo.getTime() - HOUR_MS), to: windowTo },
        deadline: Date.now() + 60_000,
      });

      const dips = result.findings.find((f) => f.rule === "correlation.buffer-hit-dips");
      assert.ok(
        dips,
        JSON.stringify(result.rejected.filter((r) => r.rule === "correlation.buffer-hit-dips")),
      );
      assert.equal(dips.evidence.statistic.value, "07:00");
      assert.match(dips.detail, /07:00 UTC on 3 of 3 day\(s\) \(lowest 90\.00 %\)/);
      assert.match(dips.detail, new RegExp(`public\\.${relation} \\(3000 blocks\\)`));
      throw new RollBack();
    }).catch((error) => {
      if (!(error instanceof RollBack)) throw error;
    });
  });
});
