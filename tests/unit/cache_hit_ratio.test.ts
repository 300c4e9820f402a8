import assert from "node:assert/strict";
import { findLowCacheHitRatio } from "../../shared/db_health/cache_hit_ratio.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { catalog } from "../support/health_fixtures.ts";

const options = { minCacheBlocks: 1000, minCacheHitRate: 0.8 };

Deno.test("findLowCacheHitRatio() reports the tables' ratio below minCacheHitRate", () => {
  const low = catalog({ cache: { heapHit: 700, heapRead: 300, indexHit: 9_900, indexRead: 100 } });
  const { findings, rejected } = findLowCacheHitRatio(low, options);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].subject, "cache-hit-ratio:tables");
  assert.deepEqual(findings[0].evidence.statistic, { name: "hit ratio", value: 0.7 });
  assert.deepEqual(rejected, [{
    rule: "db.cache-hit-ratio",
    subject: "cache-hit-ratio:indexes",
    reason: "hit ratio 99.00 % is at or above minCacheHitRate 0.8",
  }]);
});

Deno.test("findLowCacheHitRatio() reports the indexes' ratio below minCacheHitRate", () => {
  const low = catalog({ cache: { heapHit: 9_000, heapRead: 0, indexHit: 500, indexRead: 1_500 } });
  const { findings } = findLowCacheHitRatio(low, options);
  assert.deepEqual(findings.map((f) => f.subject), ["cache-hit-ratio:indexes"]);
});

Deno.test("findLowCacheHitRatio() does not judge a ratio over too few blocks", () => {
  const few = catalog({ cache: { heapHit: 1, heapRead: 9, indexHit: 0, indexRead: 0 } });
  const { findings, rejected } = findLowCacheHitRatio(few, options);
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "only 10 tables blocks were accessed since 2026-10-29T12:00:00.000Z, below minCacheBlocks 1000",
    "only 0 indexes blocks were accessed since 2026-10-29T12:00:00.000Z, below minCacheBlocks 1000",
  ]);
});
