import assert from "node:assert/strict";
import { startGateway } from "../../scripts/stack/mod.ts";
import { stackEnv } from "../support/env.ts";
import { MINUTE_MS } from "../../shared/time.ts";
import { withSql } from "../support/metric_store_db.ts";

/**
 * A flood of requests without any credential at the metrics function, served by a gateway of its own on the
 * stack's database: the function's self-instrumentation counts the 401s in memory, so the flood costs a few
 * rows, and those rows (each weighted by its count) still say exactly how many requests were refused, in the
 * raw events and in the series.
 */

const env = stackEnv();

interface RolledUp {
  watermark: string;
  /** Occurrences of kind 'rejected' at target 'metrics' in the series over the window. */
  rejected: number;
}

/** Rolls up, then reads the watermark and the series under the rollup lock, so the two agree. */
async function rolledUp(from: Date, to: Date): Promise<RolledUp> {
  return await withSql(async (sql) => {
    await sql`select optimizer.rollup_metrics('manual')`;
    return await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(8061130002)`;
      const [{ watermark }] =
        await tx`select last_event_id::text as watermark from optimizer.rollup_state where id`;
      const query = new URLSearchParams({
        from: from.toISOString(),
        to: to.toISOString(),
        bucket: "1m",
        system: "edge",
        target: "metrics",
        kind: "rejected",
      });
      const response = await fetch(`${env.url}/functions/v1/metrics?${query}`, {
        headers: { apikey: env.secretKey },
      });
      const answer = await response.json();
      assert.equal(response.status, 200, JSON.stringify(answer));
      return { watermark, rejected: answer.summary.count };
    });
  });
}
const floodSize = 10_000;
const concurrency = 32;
/** "A few dozen": a few keys (status, cold start) per minute, and the flood spans a minute boundary or two. */
const maxRows = 36;

Deno.test({
  name: "10,000 unauthenticated requests to metrics add a few rows that count all of them",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const from = new Date(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS);
    const to = new Date(from.getTime() + 10 * MINUTE_MS);
    const before = await rolledUp(from, to);
    const [{ lastId }] = await withSql((sql) =>
      sql<{ lastId: string }[]>`select coalesce(max(id), 0)::text as "lastId" from optimizer.metric_events`
    );
    // A short idle timeout retires the worker right after the flood: it then reports what it counted.
    const gateway = await startGateway({ port: 0, dbUrl: env.dbUrl, workerIdleTimeoutS: 1, log: () => {} });
    try {
      let next = 0;
      const statuses = new Map<number, number>();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < floodSize) {
          next++;
          const response = await fetch(`${gateway.url}/functions/v1/metrics`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: '{"events":[]}',
          });
          await response.body?.cancel();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      }));
      assert.deepEqual([...statuses], [[401, floodSize]]);

      const stored = async () => {
        const [row] = await withSql((sql) =>
          sql<{ rows: number; refused: number }[]>`
            select count(*)::int as rows,
                   coalesce(sum(weight) filter (where (attrs->>'status')::int = 401), 0)::int as refused
            from optimizer.metric_events
            where id > ${lastId}::bigint and target = 'metrics'`
        );
        return row;
      };
      let seen = await stored();
      for (
        let waited = 0;
        seen.refused < floodSize && seen.rows <= maxRows && waited < 20_000;
        waited += 250
      ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        seen = await stored();
      }
      assert.ok(seen.rows <= maxRows, `the flood wrote ${seen.rows} rows: at most ${maxRows} expected`);
      // Other tests' 401s at the stack's own metrics function may land in the same rows' range: at least.
      assert.ok(seen.refused >= floodSize, `the rows count ${seen.refused} refused requests of ${floodSize}`);

      // The series counts occurrences: what it gained is exactly the weight of the rows rolled up meanwhile.
      const after = await rolledUp(from, to);
      const [{ weight }] = await withSql((sql) =>
        sql<{ weight: number }[]>`
          select coalesce(sum(weight), 0)::int as weight from optimizer.metric_events
          where id > ${before.watermark}::bigint and id <= ${after.watermark}::bigint
            and system = 'edge' and target = 'metrics' and kind = 'rejected'
            and occurred_at >= ${from.toISOString()}::timestamptz and occurred_at < ${to.toISOString()}::timestamptz`
      );
      assert.equal(after.rejected - before.rejected, weight);
      assert.ok(weight >= floodSize, `the series gained ${weight} rejected requests of ${floodSize}`);
    } finally {
      await gateway.stop();
    }
  },
});
