import assert from "node:assert/strict";
import { dropReferenceApp } from "../../bench/reference_app/schema/mod.ts";
import { compareRuns } from "../../bench/harness/report.ts";
import { runScenario } from "../../bench/harness/scenario.ts";
import { scenarioSpecs } from "../../bench/harness/scenarios.ts";
import { prepareWorld, type World } from "../../bench/harness/world.ts";
import { leaseStack } from "../../scripts/with_stack.ts";
import { HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

/** Runs `body` on a world of small data whose measured window is 3 trace minutes of the afternoon. */
async function withWorld(seed: number, body: (world: World) => Promise<void>): Promise<void> {
  const lease = await leaseStack();
  const world = await prepareWorld(lease.env, {
    seed,
    scale: "small",
    variant: "pk-only",
    dayIso: "2025-03-04T00:00:00.000Z",
    measuredMs: 3 * MINUTE_MS,
    discoveryMs: MINUTE_MS,
    notBeforeMs: 14 * HOUR_MS,
    peakRequestsPerMinute: 30,
  });
  try {
    await world.sql`create extension if not exists pg_prewarm with schema extensions`;
    await body(world);
  } finally {
    await dropReferenceApp(world.sql);
    await world.sql.end();
    await lease.release();
  }
}

/**
 * The comparison harness end to end on a few trace minutes: each scenario really runs against the stack,
 * and the figures add up (every request of the window is accounted for; the peers' warmers ping).
 */
Deno.test({
  name: "the harness replays a window under baseline and a peer and compares them from paired runs",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withWorld(3, async (world) => {
      const [baseline, peer] = scenarioSpecs(60, []);
      const runs = [];
      for (const spec of [baseline, peer]) {
        runs.push(
          await runScenario(world, world.measured, spec, 0, {
            compression: 60,
            indexSets: { [peer.indexes!]: [] },
          }),
        );
      }
      const requests = world.measured.requests.length;
      assert.ok(requests > 20, `the window holds requests: ${requests}`);
      for (const run of runs) {
        assert.equal(run.replay.dispatched, requests);
        assert.equal(run.figures.overall.count + run.figures.skipped, requests);
        assert.ok(run.figures.overall.p50! > 0);
        assert.ok(run.figures.counters.appDbTimeMs > 0, "pg_stat_statements saw the app's statements");
      }
      assert.equal(runs[0].figures.counters.warmPings, 0);
      assert.ok(runs[1].figures.counters.warmPings >= 3, "the peer's warmer pinged every function");
      assert.equal(runs[0].figures.cacheHitRate, null, "no cache in baseline");
      assert.ok(runs[1].figures.cacheLookups > 0, "the peer's cache was consulted");

      const report = compareRuns(runs, [baseline.name, peer.name], [baseline.name]);
      assert.equal(report.ratios[`${peer.name} / baseline`].p95.n, 1);
    });
  },
});

Deno.test({
  name: "runScenario() replays a lead-in and leaves it out of the figures",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withWorld(4, async (world) => {
      const [baseline] = scenarioSpecs(60, []);
      const leadInMs = MINUTE_MS;
      const run = await runScenario(world, world.measured, baseline, 0, {
        compression: 60,
        indexSets: {},
        leadInMs,
      });
      const all = world.measured.requests.length;
      const measured = world.measured.requests.filter((r) => r.atMs >= leadInMs).length;
      assert.ok(measured > 10 && measured < all, `both parts hold requests: ${measured} of ${all}`);
      assert.equal(run.replay.dispatched, all, "the lead-in was replayed");
      assert.equal(run.figures.overall.count + run.figures.skipped, measured, "only the rest was measured");
    });
  },
});
