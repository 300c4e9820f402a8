/**
 * System-wide runs that plan the predictive module's buffer loads, against the stack's Postgres: recurring
 * buffer-cache dips written into the snapshots at times in 2020 (tests/support/buffer_dips_db.ts), a run at a
 * quarter of an hour before the dips' slot over the real stores (the run lock, the workload, the forecasts,
 * buffer warming's reads and pg_prewarm loads, the run log). The findings store reads no findings (an analyzer
 * name of the test's own), so the run weighs the loads alone.
 */
import assert from "node:assert/strict";
import {
  createCheckStore,
  createForecastStore,
  createPrewarmStore,
  createRecommendationStore,
  createSql,
  createSystemStore,
  parseConfig,
  type PrewarmStore,
  runSystemOptimization,
  type SystemRunDeps,
  type SystemRunOptions,
} from "../../shared/mod.ts";
import { stackEnv } from "../support/env.ts";
import { type Sql, withSql } from "../support/metric_store_db.ts";
import { cleanUp, createTable, planAt, recurringDips } from "../support/buffer_dips_db.ts";
import { onlyFindings } from "../support/applied_findings.ts";

const options: SystemRunOptions = {
  priority: "performance",
  maxDurationMs: 30_000,
  targetGainPercent: null,
  dryRun: false,
  modules: ["predictive"],
};

/**
 * The real stores; `buffers` wraps the prewarm store (default: as it is). The findings and checks stores read
 * none: the analyzer name is the test's own.
 */
function depsFor(predictiveOn: boolean, buffers: (store: PrewarmStore) => PrewarmStore = (s) => s) {
  const url = stackEnv().dbUrl;
  const sql = createSql({ functionName: "optimize-system-predictive-test", url });
  const lock = createSql({ functionName: "optimize-system-predictive-test-lock", url, max: 1 });
  const bounded: ReturnType<typeof createSql>[] = [];
  const findings = createRecommendationStore(sql);
  const none = { ...findings, list: () => Promise.resolve([]) };
  const checks = createCheckStore(sql);
  const deps: SystemRunDeps = {
    store: createSystemStore(sql, lock),
    findings: none,
    checks: onlyFindings(checks, () => Promise.resolve(new Set())),
    config: {
      readConfig: () =>
        Promise.resolve({
          config: parseConfig({ modules: { predictive: predictiveOn } }),
          updatedAt: null,
          updatedBy: null,
        }),
      writeConfig: () => Promise.reject(new Error("these runs make buffer loads only")),
    },
    boundedFindings: () => ({ store: none, end: () => Promise.resolve() }),
    predictive: {
      forecasts: createForecastStore(sql),
      buffers: buffers(createPrewarmStore(sql)),
      boundedBuffers(timeLeftMs) {
        const load = createSql({
          functionName: "optimize-system-predictive-test-load",
          url,
          max: 1,
          statementTimeoutMs: Math.max(1, timeLeftMs),
        });
        bounded.push(load);
        return { store: createPrewarmStore(load), end: () => load.end() };
      },
    },
  };
  return { deps, end: () => Promise.all([sql.end(), lock.end()]) };
}

/**
 * 100 ms of a statement's execution time between the dips' snapshots of 9 January 2020 (the last day before
 * planAt): the day's database time a load's saving is a share of.
 */
async function dayWorkload(sql: Sql, snapshotIds: number[]): Promise<string> {
  const queryid = String(BigInt(Math.floor(Math.random() * 2 ** 52)) * 1000n + 11n);
  const [{ userid, dbid }] = await sql`
    select r.oid as userid, d.oid as dbid from pg_catalog.pg_roles r, pg_catalog.pg_database d
    where r.rolname = current_user and d.datname = pg_catalog.current_database()`;
  const [from, to] = snapshotIds.slice(-2);
  for (const [id, calls, ms] of [[from, 10, 0], [to, 20, 100]]) {
    await sql`
      insert into optimizer.db_snapshot_statements (snapshot_id, userid, dbid, queryid, toplevel, calls,
        total_exec_time, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
        temp_blks_read, temp_blks_written)
      values (${id}, ${userid}, ${dbid}, ${queryid}, true, ${calls}, ${ms}, 0, 0, 0, 0, 0, 0, 0)`;
  }
  await sql`
    insert into optimizer.db_statement_texts (queryid, query)
    values (${queryid}, 'select body from public.some_table where id = $1')`;
  return queryid;
}

async function relid(sql: Sql, table: string): Promise<number> {
  const [row] = await sql`select ${table}::regclass::oid as relid`;
  return Number(row.relid);
}

/** Runs `body` with a table read in recurring dips and a day's workload; deletes them and the runs after. */
async function withDips(body: (sql: Sql, table: string) => Promise<void>): Promise<void> {
  await withSql(async (sql) => {
    const table = await createTable(sql);
    // rewritten outside shared buffers (a rewrite writes its files directly): not resident, so worth loading
    await sql.unsafe(`vacuum full ${table.name}`);
    const ids = await recurringDips(sql, { ...table, relid: await relid(sql, table.name) });
    const queryid = await dayWorkload(sql, ids);
    try {
      await body(sql, table.name);
    } finally {
      await sql`delete from optimizer.db_statement_texts where queryid = ${queryid}`;
      await cleanUp(sql, table.name, ids);
      await sql`delete from optimizer.runs where module = 'systemWide' and started_at = ${planAt}`;
    }
  });
}

const request = { trigger: "api" as const, requestedBy: "secret:default", now: planAt };

Deno.test("a system-wide run plans no buffer loads while modules.predictive is off, and says how to turn it on", async () => {
  await withDips(async () => {
    const { deps, end } = depsFor(false);
    try {
      const outcome = await runSystemOptimization(deps, options, request);
      assert.ok("result" in outcome);
      assert.deepEqual(outcome.result.plan.actions, []);
      assert.deepEqual(outcome.result.plan.notes, [
        "predictive: modules.predictive is off, so no buffer loads are planned: turn it on with PUT /status/config",
      ]);
    } finally {
      await end();
    }
  });
});

Deno.test("a system-wide run leaves a load whose gain is in disk blocks to the predictive run (the stack, like Supabase, runs track_io_timing off)", async () => {
  await withDips(async (sql, table) => {
    const [{ setting }] = await sql`select pg_catalog.current_setting('track_io_timing') as setting`;
    assert.equal(setting, "off", "the stack's Postgres runs with Supabase's default, track_io_timing off");
    const { deps, end } = depsFor(true);
    try {
      const outcome = await runSystemOptimization(deps, options, request);
      assert.ok("result" in outcome);
      const [rejected] = outcome.result.plan.rejected;
      assert.deepEqual([rejected.findingId, rejected.subject, rejected.step], [
        null,
        `table:${table}@07:30`,
        "score",
      ]);
      assert.match(
        rejected.reason,
        /its gain is in disk blocks: Postgres times block reads only with track_io_timing/,
      );
      assert.deepEqual(outcome.result.appliedOptimizations, []);
    } finally {
      await end();
    }
  });
});

Deno.test("a system-wide run loads a table ahead of its dip slot and records the load as the run's", async () => {
  await withDips(async (sql, table) => {
    // the read time per block a project with track_io_timing on measures (pg_stat_database.blk_read_time)
    const timed = (store: PrewarmStore): PrewarmStore => ({
      ...store,
      readInput: async (now, dips, statements) => {
        const read = await store.readInput(now, dips, statements);
        return { ...read, input: { ...read.input, readMsPerBlock: 0.05 } };
      },
    });
    const { deps, end } = depsFor(true, timed);
    try {
      const outcome = await runSystemOptimization(deps, options, request);
      assert.ok("result" in outcome);
      const { result } = outcome;
      assert.deepEqual(
        result.appliedOptimizations.map((a) => [a.findingId, a.module, a.subject, a.estimate?.unit]),
        [[null, "predictive", `table:${table}@07:30`, "ms"]],
      );
      const [applied] = result.appliedOptimizations;
      assert.ok(applied.estimatedGainPercent > 0, `${applied.estimatedGainPercent} %`);
      const [load] = await sql`
        select run_id::text, blocks_loaded from optimizer.buffer_prewarms where relation = ${table}`;
      assert.equal(load.run_id, result.runId);
      assert.equal(applied.detail.blocksLoaded, Number(load.blocks_loaded));
      // a second run finds the slot's load done: the predictive run and a system-wide run make it once
      const again = await runSystemOptimization(deps, options, request);
      assert.ok("result" in again);
      assert.deepEqual(again.result.appliedOptimizations, []);
      assert.match(
        again.result.plan.notes.join("\n"),
        new RegExp(`${table} at 07:30 UTC is not loaded: .*already`),
      );
    } finally {
      await end();
    }
  });
});

Deno.test("a system-wide run whose buffer reads fail plans the other modules' actions and says why it has no loads", async () => {
  await withDips(async () => {
    const denied = (store: PrewarmStore): PrewarmStore => ({
      ...store,
      readInput: () => Promise.reject(new Error("permission denied for function pg_buffercache_pages")),
    });
    const { deps, end } = depsFor(true, denied);
    try {
      const outcome = await runSystemOptimization(deps, options, request);
      assert.ok("result" in outcome);
      assert.deepEqual(outcome.result.plan.notes, [
        "predictive: buffer loads could not be planned: permission denied for function pg_buffercache_pages",
      ]);
      assert.equal((await deps.store.run(outcome.result.runId!))?.status, "succeeded");
    } finally {
      await end();
    }
  });
});
