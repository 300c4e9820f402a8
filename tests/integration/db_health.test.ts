/**
 * The db-health analyzer against the stack's Postgres: each test builds a small schema of its own with the
 * case its rule is for and a near miss beside it, runs the analyzer (adapter and rules), and drops the schema.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createSql } from "../../shared/db/client.ts";
import { createDbHealthAnalyzer } from "../../shared/db_health/db_health_analyzer.ts";
import type { DbHealthOptions } from "../../shared/db_health/db_health_options.ts";
import { defaultConfig, type OptimizationConfig } from "../../shared/config/config.ts";
import type { AnalysisResult } from "../../shared/recommendations/analyzer.ts";
import { advisorLints } from "../support/splinter.ts";
import { stackEnv } from "../support/env.ts";
import { type Sql, withSql } from "../support/metric_store_db.ts";

/** Runs `body` with a fresh schema `health_<random>` holding `ddl`, dropped afterwards whatever happens. */
async function withSchema(
  ddl: (schema: string) => string,
  body: (sql: Sql, schema: string) => Promise<void>,
) {
  const schema = `health_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await withSql(async (sql) => {
    await sql.unsafe(`create schema ${schema}; ${ddl(schema)}`);
    try {
      await body(sql, schema);
    } finally {
      await sql.unsafe(`drop schema ${schema} cascade`);
    }
  });
}

async function analyze(
  sql: Sql,
  options: Partial<DbHealthOptions> = {},
  config: OptimizationConfig = defaultConfig,
): Promise<AnalysisResult> {
  const now = new Date();
  return await createDbHealthAnalyzer(options).analyze({
    sql,
    now,
    config,
    window: { from: new Date(now.getTime() - 86_400_000), to: now },
    deadline: now.getTime() + 60_000,
  });
}

/** The default config but for recommendations.unusedIndexMinDays. */
function unusedAfter(days: number): OptimizationConfig {
  return { ...defaultConfig, recommendations: { unusedIndexMinDays: days } };
}

/** The findings and rejections of `rule` about objects of `schema`. */
function about(result: AnalysisResult, rule: string, schema: string) {
  const ours = (subject: string) => subject.includes(`:${schema}.`);
  return {
    findings: result.findings.filter((f) => f.rule === rule && ours(f.subject)),
    rejected: result.rejected.filter((r) => r.rule === rule && ours(r.subject)),
  };
}

const parentAndChild = (s: string) => `
  create table ${s}.parent (id bigint primary key);
  create table ${s}.child (
    id bigint primary key,
    parent_id bigint references ${s}.parent,
    partial_parent_id bigint references ${s}.parent,
    led_parent_id bigint references ${s}.parent,
    kind text,
    code text,
    note text,
    created_at timestamptz default now()
  );`;

Deno.test("db-health finds an unindexed foreign key, and counts neither a partial index nor a trailing column", async () => {
  await withSchema(
    (s) =>
      `${parentAndChild(s)}
      create index child_partial_idx on ${s}.child (partial_parent_id) where kind is not null;
      create index child_created_led_idx on ${s}.child (created_at, led_parent_id);
      create index child_led_idx on ${s}.child (led_parent_id, created_at);`,
    async (sql, schema) => {
      const { findings, rejected } = about(await analyze(sql), "index.unindexed-foreign-key", schema);
      assert.deepEqual(findings.map((f) => f.subject).sort(), [
        `foreign-key:${schema}.child.child_parent_id_fkey`,
        `foreign-key:${schema}.child.child_partial_parent_id_fkey`,
      ]);
      assert.deepEqual(rejected.map((r) => r.reason), [
        "child_partial_idx leads with the key's columns but is partial (where (kind IS NOT NULL)): it misses the rows outside its predicate",
      ]);
      // the proposed DDL runs, and then the key counts as covered
      const action = findings[0].action;
      assert.equal(action.kind, "sql");
      if (action.kind !== "sql") return;
      await sql.unsafe(action.sql);
      const after = about(await analyze(sql), "index.unindexed-foreign-key", schema);
      assert.ok(!after.findings.some((f) => f.subject === findings[0].subject));
      await sql.unsafe(action.rollback);
    },
  );
});

/** Has the suite note every index's scan count, then dates that note `days` back for the indexes of `schema`. */
async function observeIndexes(sql: Sql, schema: string, days = 0): Promise<void> {
  await sql`select optimizer.observe_index_usage()`;
  await sql`
    update optimizer.index_usage
    set first_seen_at = first_seen_at - make_interval(days => ${days}),
        scans_changed_at = scans_changed_at - make_interval(days => ${days})
    where schemaname = ${schema}`;
}

Deno.test("db-health reports an index without a scan for unusedIndexMinDays, never a unique one", async () => {
  await withSchema(
    (s) =>
      `${parentAndChild(s)}
      create index child_note_idx on ${s}.child (note);
      create unique index child_code_key on ${s}.child (code);`,
    async (sql, schema) => {
      await observeIndexes(sql, schema, 2);
      const { findings, rejected } = about(await analyze(sql, {}, unusedAfter(1)), "index.unused", schema);
      assert.deepEqual(findings.map((f) => f.subject), [`index:${schema}.child_note_idx`]);
      const [definition] = await sql`select pg_get_indexdef(${`${schema}.child_note_idx`}::regclass) as text`;
      assert.deepEqual(findings[0].action, {
        kind: "sql",
        sql: `drop index concurrently if exists ${schema}.child_note_idx`,
        rollback: definition.text.replace("CREATE INDEX", "create index concurrently"),
      });
      assert.deepEqual(findings[0].evidence.series, [
        "pg_stat_user_indexes.idx_scan",
        "optimizer.index_usage",
      ]);
      assert.ok(
        rejected.some((r) => r.subject === `index:${schema}.child_code_key` && /it is unique/.test(r.reason)),
      );
      assert.ok(
        rejected.some((r) => r.subject === `index:${schema}.child_pkey` && /primary key/.test(r.reason)),
      );
    },
  );
});

Deno.test("db-health does not report an index created since fewer than unusedIndexMinDays", async () => {
  await withSchema(
    (s) => `${parentAndChild(s)} create index child_note_idx on ${s}.child (note);`,
    async (sql, schema) => {
      await observeIndexes(sql, schema);
      const young = about(await analyze(sql, {}, unusedAfter(1)), "index.unused", schema);
      assert.deepEqual(young.findings, []);
      const reason = young.rejected.find((r) => r.subject === `index:${schema}.child_note_idx`)?.reason ?? "";
      assert.match(
        reason,
        /^no scan in the 0\.0 days since .* \(optimizer\.index_usage\), below recommendations\.unusedIndexMinDays 1$/,
      );
    },
  );
});

Deno.test("db-health does not report an index a query used since its scans were noted", async () => {
  await withSchema(
    (s) => `${parentAndChild(s)} create index child_note_idx on ${s}.child (note);`,
    async (sql, schema) => {
      await observeIndexes(sql, schema, 2);
      await sql.unsafe(`set enable_seqscan = off; select count(*) from ${schema}.child where note = 'x'`);
      await sql`reset enable_seqscan`;
      // a backend's statistics reach the shared counters after its transaction, at most once a second
      await sql`select pg_stat_force_next_flush()`;
      await sql`select 1`;
      const used = about(await analyze(sql, {}, unusedAfter(1)), "index.unused", schema);
      assert.deepEqual(used.findings, []);
      assert.ok(!used.rejected.some((r) => r.subject === `index:${schema}.child_note_idx`));
    },
  );
});

Deno.test("db-health finds a plain index repeating a unique one and keeps the unique", async () => {
  await withSchema(
    (s) =>
      `${parentAndChild(s)}
      create unique index child_code_key on ${s}.child (code);
      create index child_code_idx on ${s}.child (code);
      create index child_code_lower_idx on ${s}.child (lower(code));`,
    async (sql, schema) => {
      const { findings } = about(await analyze(sql), "index.duplicate", schema);
      assert.deepEqual(findings.map((f) => f.subject), [`index:${schema}.child_code_idx`]);
      assert.match(findings[0].detail, /which is unique/);
    },
  );
});

Deno.test("db-health finds a btree whose keys lead another's, and keeps one with another predicate", async () => {
  await withSchema(
    (s) =>
      `${parentAndChild(s)}
      create index child_kind_idx on ${s}.child (kind);
      create index child_kind_live_idx on ${s}.child (kind) where note is not null;
      create index child_kind_created_idx on ${s}.child (kind, created_at);`,
    async (sql, schema) => {
      const { findings, rejected } = about(await analyze(sql), "index.prefix-redundant", schema);
      assert.deepEqual(findings.map((f) => f.subject), [`index:${schema}.child_kind_idx`]);
      assert.deepEqual(rejected.map((r) => [r.subject, r.reason]), [[
        `index:${schema}.child_kind_live_idx`,
        "not made redundant by child_kind_created_idx: its predicate ((note IS NOT NULL)) differs from child_kind_created_idx's (none)",
      ]]);
    },
  );
});

Deno.test("db-health finds the invalid index a failed create unique index concurrently leaves, and its drop works", async () => {
  await withSchema(
    (s) => `${parentAndChild(s)} insert into ${s}.child (id, code) values (1, 'same'), (2, 'same');`,
    async (sql, schema) => {
      await assert.rejects(
        sql.unsafe(`create unique index concurrently child_code_key on ${schema}.child (code)`),
        /could not create unique index/,
      );
      const { findings } = about(await analyze(sql), "index.invalid", schema);
      assert.deepEqual(findings.map((f) => f.subject), [`index:${schema}.child_code_key`]);
      const action = findings[0].action;
      assert.equal(action.kind, "sql");
      if (action.kind !== "sql") return;
      await sql.unsafe(action.sql);
      const [{ left }] = await sql`select to_regclass(${`${schema}.child_code_key`}) is not null as left`;
      assert.equal(left, false);
      assert.deepEqual(about(await analyze(sql), "index.invalid", schema).findings, []);
    },
  );
});

Deno.test("db-health estimates the bloat a mass delete leaves, and not on a compact table", async () => {
  await withSchema(
    (s) => `
      create table ${s}.emptied (a bigint, b bigint) with (autovacuum_enabled = false);
      create table ${s}.compact (a bigint, b bigint) with (autovacuum_enabled = false);
      insert into ${s}.emptied select i, i from generate_series(1, 50000) i;
      insert into ${s}.compact select i, i from generate_series(1, 50000) i;
      delete from ${s}.emptied where a % 10 <> 0;
      analyze ${s}.emptied;
      analyze ${s}.compact;`,
    async (sql, schema) => {
      const { findings } = about(
        await analyze(sql, { minBloatBytes: 100_000, minBloatRatio: 0.5 }),
        "table.bloat",
        schema,
      );
      assert.deepEqual(findings.map((f) => f.subject), [`table:${schema}.emptied`]);
      const ratio = Number(findings[0].evidence.statistic.value);
      assert.ok(ratio > 0.85 && ratio < 0.95, `9 rows in 10 deleted: estimated bloat ratio ${ratio}`);
      assert.equal(findings[0].gain?.kind, "estimated");
    },
  );
});

Deno.test("db-health finds a table without a primary key, not one with", async () => {
  await withSchema(
    (s) => `create table ${s}.keyed (id bigint primary key); create table ${s}.keyless (id bigint unique);`,
    async (sql, schema) => {
      const { findings } = about(await analyze(sql), "table.no-primary-key", schema);
      assert.deepEqual(findings.map((f) => f.subject), [`table:${schema}.keyless`]);
    },
  );
});

/** A connection of its own named `applicationName`, closed after `body`. */
async function withSession<T>(applicationName: string, body: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(stackEnv().dbUrl, {
    prepare: false,
    max: 1,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
  try {
    return await body(sql);
  } finally {
    await sql.end();
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("db-health reports a session idle in a transaction", async () => {
  await withSession("health-test-idle", async (other) => {
    const reserved = await other.reserve();
    try {
      await reserved`begin`;
      const [{ pid }] = await reserved`select pg_backend_pid() as pid`;
      await pause(1500);
      const result = await withSql((sql) => analyze(sql, { idleInTransactionSeconds: 1 }));
      const idle = result.findings.filter((f) => f.rule === "session.idle-in-transaction");
      assert.ok(idle.some((f) => f.subject.startsWith(`session:${pid}@`)), JSON.stringify(idle));
      await reserved`rollback`;
    } finally {
      reserved.release();
    }
  });
});

Deno.test("db-health reports a long-running query, not the suite's own", async () => {
  await withSession("health-test-slow", (app) =>
    withSession("optimizer-health-test", async (own) => {
      const slow = app`select pg_sleep(4), pg_backend_pid() as pid`.execute();
      const ownSlow = own`select pg_sleep(4)`.execute();
      await pause(1500);
      const result = await withSql((sql) => analyze(sql, { longRunningQuerySeconds: 1 }));
      const reported = result.findings.filter((f) => f.rule === "session.long-running-query");
      const pids = await withSql((sql) =>
        sql`select application_name, pid from pg_stat_activity
            where application_name in ('health-test-slow', 'optimizer-health-test')`
      );
      const pidOf = (name: string) => pids.find((row) => row.application_name === name)?.pid;
      assert.ok(reported.some((f) => f.subject.startsWith(`session:${pidOf("health-test-slow")}@`)));
      assert.ok(!reported.some((f) => f.subject.startsWith(`session:${pidOf("optimizer-health-test")}@`)));
      assert.ok(
        result.rejected.some((r) =>
          r.subject.startsWith(`session:${pidOf("optimizer-health-test")}@`) &&
          /the suite's own session/.test(r.reason)
        ),
      );
      await Promise.all([slow, ownSlow]);
    }));
});

Deno.test("db-health reports connections against max_connections from its threshold", async () => {
  await withSql(async (sql) => {
    const pressed = await analyze(sql, { connectionsWarningRatio: 0.001, connectionsCriticalRatio: 1 });
    assert.deepEqual(pressed.findings.filter((f) => f.rule === "db.connections").map((f) => f.severity), [
      "warning",
    ]);
    const calm = await analyze(sql);
    assert.match(
      calm.rejected.find((r) => r.rule === "db.connections")?.reason ?? "",
      /below connectionsWarningRatio 0.8/,
    );
  });
});

Deno.test("db-health judges or explains both cache hit ratios", async () => {
  await withSql(async (sql) => {
    const result = await analyze(sql);
    for (const subject of ["cache-hit-ratio:tables", "cache-hit-ratio:indexes"]) {
      const said = [...result.findings, ...result.rejected].filter((f) => f.subject === subject);
      assert.equal(said.length, 1, subject);
    }
  });
});

Deno.test("db-health runs through the functions' own client (createSql: bounded pool, no prepared statements)", async () => {
  await withSchema(
    (s) => `create table ${s}.keyless (a integer);`,
    async (_sql, schema) => {
      const client = createSql({ functionName: "db-health-test", url: stackEnv().dbUrl });
      try {
        const result = await analyze(client);
        assert.deepEqual(about(result, "table.no-primary-key", schema).findings.map((f) => f.subject), [
          `table:${schema}.keyless`,
        ]);
      } finally {
        await client.end();
      }
    },
  );
});

Deno.test("db-health never looks at the suite's own schema", async () => {
  await withSql(async (sql) => {
    const result = await analyze(sql, {}, unusedAfter(1e-9));
    const subjects = [...result.findings, ...result.rejected].map((f) => f.subject);
    assert.deepEqual(subjects.filter((subject) => /:(optimizer|auth|cron|extensions)\./.test(subject)), []);
  });
});

Deno.test("every performance lint of Supabase's linter on a schema is among db-health's findings or explained", async () => {
  await withSchema(
    (s) =>
      `${parentAndChild(s)}
      create index child_note_a_idx on ${s}.child (note);
      create index child_note_b_idx on ${s}.child (note);
      create table ${s}.keyless (a integer);`,
    async (sql, schema) => {
      await observeIndexes(sql, schema);
      const lints = (await advisorLints(stackEnv().dbUrl, "performance")).filter((lint) =>
        lint.metadata.schema === schema
      );
      assert.ok(lints.length >= 5, JSON.stringify(lints));
      const result = await analyze(sql);
      const found = (rule: string, subject: string) =>
        result.findings.some((f) => f.rule === rule && f.subject === subject);
      const explained = (rule: string, subject: string) =>
        result.rejected.some((r) => r.rule === rule && r.subject === subject);
      for (const lint of lints) {
        const { name, fkey_name, indexes = [] } = lint.metadata;
        if (lint.name === "unindexed_foreign_keys") {
          assert.ok(
            found("index.unindexed-foreign-key", `foreign-key:${schema}.${name}.${fkey_name}`),
            lint.detail,
          );
        } else if (lint.name === "no_primary_key") {
          assert.ok(found("table.no-primary-key", `table:${schema}.${name}`), lint.detail);
        } else if (lint.name === "duplicate_index") {
          const subjects = indexes.map((index) => `index:${schema}.${index}`);
          assert.equal(
            subjects.filter((subject) => found("index.duplicate", subject)).length,
            indexes.length - 1,
          );
          assert.ok(subjects.some((subject) => explained("index.duplicate", subject)), lint.detail);
        } else if (lint.name === "unused_index") {
          // splinter reads idx_scan = 0 alone: an index made a moment ago is "unused" to it, and we say why not
          const index = /Index `([^`]+)`/.exec(lint.detail)?.[1];
          const subject = `index:${schema}.${index}`;
          assert.ok(found("index.unused", subject) || explained("index.unused", subject), lint.detail);
        } else {
          assert.fail(`a performance lint db-health does not cover: ${lint.name}: ${lint.detail}`);
        }
      }
    },
  );
});
