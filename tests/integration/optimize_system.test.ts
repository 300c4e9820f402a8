/**
 * System-wide runs against the stack's Postgres, the app run in process over the real stores: each test
 * builds a table in a schema of its own, runs a workload on it between two snapshots, has the index advisor
 * analyze it, and stores the advisor's findings under an analyzer name of its own. The run reads only those
 * findings (its findings store is the real one, filtered by that name), so no other test's findings are
 * applied; everything else (the run lock, hypopg's sizes, the workload, the builds, the audit, the run log)
 * is the real thing.
 */
import assert from "node:assert/strict";
import {
  type CheckStore,
  type ConfigAccess,
  createAuthenticator,
  createCheckStore,
  createFinding,
  createRecommendationStore,
  createSql,
  createSystemStore,
  estimatedGain,
  type Finding,
  parseConfig,
  type RecommendationStore,
  type Sql as ClientSql,
  verifyAppliedActions,
} from "../../shared/mod.ts";
import { createOptimizeSystemApp } from "../../supabase/functions/optimize-system/index.ts";
import { startLatencyProxy, throughProxy } from "../../bench/harness/latency_proxy.ts";
import { stackEnv } from "../support/env.ts";
import { connect, flushStats, type Sql, storeFinding, withSql } from "../support/metric_store_db.ts";
import { adviseWorkload } from "../support/advised_workload.ts";
import { onlyFindings } from "../support/applied_findings.ts";

const secretKey = "sb_secret_optimize_system_test";
/** The run lock's advisory key (system_store.ts). */
const runLockKey = 8061130004;

interface World {
  sql: Sql;
  schema: string;
  analyzer: string;
  findings: Finding[];
  /** The workload's window, between its two snapshots. */
  window: { from: Date; to: Date };
}

/** Equality lookups on `a` and on `b`, twenty each. */
async function workload(sql: Sql, schema: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await sql.unsafe(`select * from ${schema}.t where a = $1`, [i]);
    await sql.unsafe(`select count(*) from ${schema}.t where b = $1`, [i]);
  }
}

/**
 * A schema with table t (100,000 rows), a workload of equality lookups on `a` and on `b` between two
 * snapshots, the advisor's findings on it stored as open findings of a test analyzer; dropped afterwards with
 * the findings and the runs the test made.
 */
async function withWorld(body: (world: World) => Promise<void>): Promise<void> {
  await withSql(async (sql) => {
    const suffix = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
    const schema = `sysrun_${suffix}`;
    const analyzer = `optimize-system-test-${suffix}`;
    const [{ since }] = await sql`select now() as since`;
    await sql.unsafe(`
      create schema ${schema};
      create table ${schema}.t (id bigint generated always as identity primary key, a int, b int, note text);
      insert into ${schema}.t (a, b, note) select g % 1000, g % 997, md5(g::text) from generate_series(1, 100000) g;
      analyze ${schema}.t`);
    try {
      const { result, window } = await adviseWorkload(sql, () => workload(sql, schema));
      const findings = result.findings.filter((f) => f.subject.includes(`${schema}.`));
      for (const finding of findings) await storeFinding(sql, analyzer, finding);
      await body({ sql, schema, analyzer, findings, window });
    } finally {
      await sql.unsafe(`drop schema ${schema} cascade`);
      await sql`delete from optimizer.findings where analyzer = ${analyzer}`;
      await sql`delete from optimizer.runs where module = 'systemWide' and started_at >= ${since}`;
    }
  });
}

/** The real stores, reading only `analyzer`'s findings; `dbUrl` reaches Postgres (default direct). */
function depsFor(analyzer: string, dbUrl = stackEnv().dbUrl) {
  const clients: ClientSql[] = [];
  const client = (
    name: string,
    options: { max?: number; statementTimeoutMs?: number; lockTimeoutMs?: number } = {},
  ) => {
    const sql = createSql({ functionName: name, url: dbUrl, ...options });
    clients.push(sql);
    return sql;
  };
  const sql = client("optimize-system-test");
  const onlyOurs = (store: RecommendationStore): RecommendationStore => ({
    ...store,
    list: async (filter) =>
      (await store.list({ ...filter, limit: 1000 })).filter((s) => s.analyzer === analyzer),
  });
  const config: ConfigAccess = {
    readConfig: () =>
      Promise.resolve({
        config: parseConfig({ modules: { systemWide: true } }),
        updatedAt: null,
        updatedBy: null,
      }),
    writeConfig: () => Promise.reject(new Error("these runs apply index actions only")),
  };
  const deps = {
    store: createSystemStore(sql, client("optimize-system-test-lock", { max: 1 })),
    checks: ourChecks(createCheckStore(sql), sql, analyzer),
    findings: onlyOurs(createRecommendationStore(sql, client("optimize-system-test-ddl", { max: 1 }))),
    config,
    boundedFindings(timeLeftMs: number) {
      const bounded = createSql({
        functionName: "optimize-system-test-ddl",
        url: dbUrl,
        max: 1,
        statementTimeoutMs: Math.max(1, timeLeftMs),
        lockTimeoutMs: Math.max(1, Math.min(5_000, timeLeftMs)),
      });
      return { store: createRecommendationStore(sql, bounded), end: () => bounded.end() };
    },
  };
  return { deps, end: () => Promise.all(clients.map((c) => c.end())) };
}

/** The app over depsFor()'s stores. */
function appFor(analyzer: string, dbUrl = stackEnv().dbUrl) {
  const { deps, end } = depsFor(analyzer, dbUrl);
  const app = createOptimizeSystemApp({
    ...deps,
    authenticator: createAuthenticator({ env: { secretKeys: { default: secretKey }, publishableKeys: {} } }),
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.fetch(
      new Request(`http://local/optimize-system${path}`, {
        method,
        headers: { apikey: secretKey, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    return { status: response.status, body: await response.json() };
  };
  return { call, end };
}

/** The real check store, its applied actions only those of `analyzer`'s findings. */
function ourChecks(store: CheckStore, sql: ClientSql, analyzer: string): CheckStore {
  return onlyFindings(store, async () =>
    new Set(
      (await sql<{ id: string }[]>`select id::text from optimizer.findings where analyzer = ${analyzer}`)
        .map((r) => r.id),
    ));
}

/** The valid indexes of `schema`.t other than its primary key. */
async function indexesOf(sql: Sql, schema: string): Promise<string[]> {
  const rows = await sql`
    select c.relname from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
    where i.indrelid = ${`${schema}.t`}::regclass and not i.indisprimary and i.indisvalid order by c.relname`;
  return rows.map((r) => r.relname);
}

Deno.test("a dry run plans the advisor's indexes and changes nothing", async () => {
  await withWorld(async ({ sql, schema, analyzer, findings }) => {
    assert.ok(findings.length >= 1, "the advisor suggests an index for the workload");
    const { call, end } = appFor(analyzer);
    try {
      const { status, body } = await call("POST", "", { dryRun: true });
      assert.equal(status, 200);
      assert.equal(body.runId, null);
      assert.equal(body.dryRun, true);
      assert.deepEqual(body.appliedOptimizations, []);
      assert.equal(body.plan.actions.length, findings.length);
      assert.ok(body.plan.actions.every((a: { estimatedGainPercent: number }) => a.estimatedGainPercent > 0));
      assert.equal(body.estimatedPerformanceGain.kind, "estimated");
      assert.deepEqual(await indexesOf(sql, schema), []);
    } finally {
      await end();
    }
  });
});

Deno.test("a run builds the planned indexes as its own actor, and rolling the run back drops them", async () => {
  await withWorld(async ({ sql, schema, analyzer, findings }) => {
    const { call, end } = appFor(analyzer);
    try {
      const run = await call("POST", "", { priority: "performance" });
      assert.equal(run.status, 200);
      const runId = run.body.runId;
      assert.match(runId, /^\d+$/);
      assert.equal(run.body.appliedOptimizations.length, findings.length);
      assert.equal((await indexesOf(sql, schema)).length, findings.length);

      const events = await sql`
        select e.actor, e.detail from optimizer.finding_events e join optimizer.findings f on f.id = e.finding_id
        where f.analyzer = ${analyzer} and e.event = 'applied'`;
      assert.ok(events.every((e) => e.actor === `run:${runId}`));
      assert.ok(events.every((e) => /^drop index concurrently if exists /.test(e.detail.rollback.sql)));

      const recorded = await call("GET", `/${runId}`);
      assert.equal(recorded.body.run.status, "succeeded");
      assert.equal(recorded.body.run.summary.requestedBy, "secret:default");

      const rolledBack = await call("POST", `/${runId}/rollback`);
      assert.equal(rolledBack.status, 200);
      assert.equal(rolledBack.body.rolledBack.length, findings.length);
      assert.deepEqual(await indexesOf(sql, schema), []);
      const [{ open }] = await sql`
        select count(*)::int as open from optimizer.findings where analyzer = ${analyzer} and status = 'open'`;
      assert.equal(open, findings.length);
    } finally {
      await end();
    }
  });
});

Deno.test("a run while another holds the lock is a 409 with the running run's id", async () => {
  await withWorld(async ({ analyzer }) => {
    const holder = connect();
    const { call, end } = appFor(analyzer);
    try {
      const [{ id }] = await holder`
        insert into optimizer.runs (module, trigger, status) values ('systemWide', 'api', 'running') returning id::text`;
      let release!: () => void;
      const released = new Promise<void>((resolve) => release = resolve);
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => locked = resolve);
      const holding = holder.begin(async (tx) => {
        await tx`select pg_catalog.pg_advisory_xact_lock(${runLockKey})`;
        locked();
        await released;
      });
      await isLocked;
      const busy = await call("POST", "", {});
      release();
      await holding;
      assert.equal(busy.status, 409);
      assert.equal(busy.body.runningRunId, id);
      assert.match(busy.body.error, new RegExp(`a system-wide run is in progress \\(run ${id}\\)`));

      // the lock free, the run left `running` is one whose function died: the next run marks it failed
      const next = await call("POST", "", { dryRun: false, include: ["cache"] });
      assert.equal(next.status, 200);
      const [abandoned] = await holder`select status, error from optimizer.runs where id = ${id}`;
      assert.deepEqual(abandoned, {
        status: "failed",
        error: "abandoned: the function running it ended before the run did",
      });
    } finally {
      await end();
      await holder.end();
    }
  });
});

Deno.test("a run with a slow database ends within maxDurationMs and says what the deadline left out", async () => {
  await withWorld(async ({ sql, schema, analyzer, findings }) => {
    const env = stackEnv();
    const target = new URL(env.dbUrl);
    // every statement's round trip 100 ms longer, connecting included
    const proxy = startLatencyProxy({
      target: { hostname: target.hostname, port: Number(target.port) },
      delayMs: () => 100,
    });
    const { call, end } = appFor(analyzer, throughProxy(env.dbUrl, proxy));
    try {
      const maxDurationMs = 3_000;
      const started = performance.now();
      const { status, body } = await call("POST", "", { maxDurationMs });
      const elapsed = performance.now() - started;
      assert.equal(status, 200);
      assert.ok(elapsed <= maxDurationMs * 1.1, `the run took ${Math.round(elapsed)} ms`);
      assert.ok(
        body.appliedOptimizations.length < findings.length,
        "the slow database leaves no time for all",
      );
      if (body.plan.actions.length === 0) {
        assert.match(
          body.stoppedEarly,
          /^the deadline: reading the candidates did not end within maxDurationMs/,
        );
      } else {
        assert.equal(body.appliedOptimizations.length + body.skipped.length, body.plan.actions.length);
        for (const skipped of body.skipped) {
          assert.match(skipped.reason, /ms are left before maxDurationMs|statement timeout/);
        }
      }
      assert.equal((await indexesOf(sql, schema)).length, body.appliedOptimizations.length);
    } finally {
      await end();
      await proxy.stop();
    }
  });
});

Deno.test("verification measures a built index's gain on the statements it serves, per call, beside its estimate", async () => {
  await withWorld(async ({ sql, schema, analyzer, findings }) => {
    const { call, end } = appFor(analyzer);
    try {
      const run = await call("POST", "", {});
      assert.equal(run.body.appliedOptimizations.length, findings.length);
      await workload(sql, schema);
      await flushStats(sql);
      const { status, body } = await call("POST", "/verify");
      assert.equal(status, 200);
      assert.equal(body.verified.length, findings.length);
      for (const check of body.verified) {
        assert.equal(check.verdict, "kept", check.reason);
        assert.equal(check.kind, "index-build");
        assert.equal(check.measured.kind, "measured");
        assert.ok(check.measured.value > 0, `a positive saving: ${check.reason}`);
        assert.equal(typeof check.relativeError, "number");
      }
      const listed = await call("GET", "/checks");
      assert.equal(
        listed.body.estimatorError.find((e: { kind: string }) => e.kind === "index-build").checks >= 1,
        true,
      );
      await call("POST", `/${run.body.runId}/rollback`);
    } finally {
      await end();
    }
  });
});

Deno.test("a bounded verification starts no check after its bound and leaves the builds for the next", async () => {
  await withWorld(async ({ sql, schema, analyzer, findings }) => {
    const { call, end } = appFor(analyzer);
    const verifying = depsFor(analyzer);
    try {
      const run = await call("POST", "", {});
      assert.equal(run.body.appliedOptimizations.length, findings.length);
      await workload(sql, schema);
      await flushStats(sql);
      const bounds = { until: 0, clock: () => 1, boundedFindings: verifying.deps.boundedFindings };
      const late = await verifyAppliedActions(verifying.deps, "test", bounds);
      assert.deepEqual(late.checks, []);
      assert.deepEqual(
        late.deferred.map((d) => d.reason),
        findings.map(() => "the run's time for verification had run out"),
      );
      const [{ n }] = await sql`
        select count(*)::int as n from optimizer.action_checks c join optimizer.findings f on f.id = c.finding_id
        where f.analyzer = ${analyzer}`;
      assert.equal(n, 0, "nothing recorded for a deferred build");
      const inTime = await verifyAppliedActions(verifying.deps, "test", { ...bounds, until: 2 });
      assert.equal(inTime.checks.length, findings.length);
      assert.deepEqual(inTime.deferred, []);
      await call("POST", `/${run.body.runId}/rollback`);
    } finally {
      await end();
      await verifying.end();
    }
  });
});

Deno.test("verification rolls back an index the planner never scanned, and later runs leave it alone", async () => {
  await withWorld(async ({ sql, schema, analyzer, window }) => {
    // an index on `note`, claimed to serve the lookups on `a`, which it cannot
    const [{ queryid }] = await sql`
      select queryid::text from extensions.pg_stat_statements where query like ${`select * from ${schema}.t where a = $1%`}`;
    const finding = createFinding({
      rule: "index.suggest",
      system: "db",
      subject: `index:${schema}.t(note)`,
      severity: "info",
      title: "an index that serves nothing",
      detail: `- statement ${queryid} (20 calls): cost 100 → 1, saves 500 ms: select`,
      evidence: {
        series: ["optimizer.statement_deltas"],
        windows: [{ from: window.from.toISOString(), to: window.to.toISOString() }],
        statistic: { name: "estimated net saving", value: 500, unit: "ms" },
      },
      gain: estimatedGain(500, "ms", "test"),
      action: {
        kind: "sql",
        sql: `create index concurrently t_note_idx on ${schema}.t (note)`,
        rollback: `drop index concurrently if exists ${schema}.t_note_idx`,
      },
      autoApplicable: true,
    });
    await sql`delete from optimizer.findings where analyzer = ${analyzer}`;
    await storeFinding(sql, analyzer, finding);
    const { call, end } = appFor(analyzer);
    try {
      const run = await call("POST", "", {});
      assert.equal(run.body.appliedOptimizations.length, 1);
      assert.deepEqual(await indexesOf(sql, schema), ["t_note_idx"]);
      await workload(sql, schema);
      await flushStats(sql);
      const next = await call("POST", "", {});
      const [check] = next.body.verified;
      assert.equal(check.verdict, "unused", check.reason);
      assert.equal(check.rolledBack, true);
      assert.match(check.reason, /^rolled back: the planner has not scanned the index since it was built/);
      assert.deepEqual(await indexesOf(sql, schema), []);
      assert.deepEqual(next.body.appliedOptimizations, []);
      assert.match(next.body.plan.rejected[0].reason, /^a check of its earlier apply undid it/);
    } finally {
      await end();
    }
  });
});
