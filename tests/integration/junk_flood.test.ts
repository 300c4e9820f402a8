import assert from "node:assert/strict";
import { startGateway } from "../../scripts/stack/mod.ts";
import { stackEnv } from "../support/env.ts";
import { withSql } from "../support/metric_store_db.ts";

/**
 * A flood of requests without any credential at the metrics function, served by a gateway of its own on the
 * stack's database: the function's self-instrumentation counts the 401s in memory, so the flood costs a few
 * rows, and those rows still say exactly how many requests were refused.
 */

const env = stackEnv();
const floodSize = 10_000;
const concurrency = 32;
/** "A few dozen": a few keys (status, cold start) per minute, and the flood spans a minute boundary or two. */
const maxRows = 36;

Deno.test({
  name: "10,000 unauthenticated requests to metrics add a few rows that count all of them",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
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
                   coalesce(sum((attrs->>'count')::int) filter (where (attrs->>'status')::int = 401), 0)::int
                     as refused
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
    } finally {
      await gateway.stop();
    }
  },
});
