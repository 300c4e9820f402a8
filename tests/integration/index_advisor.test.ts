/**
 * The index advisor against the stack's Postgres: each test builds a small database of known answers in a
 * schema of its own, runs a workload between two snapshots so that the advisor reads it from
 * pg_stat_statements through optimizer.statement_deltas, as in production, and drops the schema after.
 */
import assert from "node:assert/strict";
import type { AdvisorOptions } from "../../shared/advisor/options.ts";
import type { AnalysisResult } from "../../shared/recommendations/analyzer.ts";
import { type Sql, withSql } from "../support/metric_store_db.ts";
import { adviseWorkload } from "../support/advised_workload.ts";

/** Runs `body` with a fresh schema (its name passed in), dropped afterwards. */
async function withSchema(body: (sql: Sql, schema: string) => Promise<void>): Promise<void> {
  await withSql(async (sql) => {
    const schema = `advisor_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await sql.unsafe(`create schema ${schema}`);
    try {
      await body(sql, schema);
    } finally {
      await sql.unsafe(`drop schema ${schema} cascade`);
    }
  });
}

/** The advisor's result over `workload` (adviseWorkload()). */
async function advise(
  sql: Sql,
  workload: () => Promise<void>,
  options: Partial<AdvisorOptions> = {},
): Promise<AnalysisResult> {
  return (await adviseWorkload(sql, workload, options)).result;
}

function subjectsOn(result: AnalysisResult, schema: string): string[] {
  return result.findings.map((f) => f.subject).filter((s) => s.includes(`${schema}.`));
}

Deno.test("the index advisor gives a two-column equality query a two-column index", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`
      create table ${schema}.t (id bigint generated always as identity primary key, a int, b int, note text);
      insert into ${schema}.t (a, b, note) select g % 100, g % 997, md5(g::text) from generate_series(1, 100000) g;
      analyze ${schema}.t`);
    const result = await advise(sql, async () => {
      for (let i = 0; i < 10; i++) {
        await sql.unsafe(`select * from ${schema}.t where a = $1 and b = $2`, [i, i * 7]);
      }
    });
    assert.deepEqual(subjectsOn(result, schema), [`index:${schema}.t(b, a)`]);
    const [finding] = result.findings.filter((f) => f.subject.includes(schema));
    assert.equal(finding.rule, "index.suggest");
    assert.equal(finding.autoApplicable, true);
    assert.match(
      finding.action.kind === "sql" ? finding.action.sql : "",
      /^create index concurrently .* \(b, a\)$/,
    );
    assert.match(
      finding.action.kind === "sql" ? finding.action.rollback : "",
      /^drop index concurrently if exists /,
    );
    assert.equal(finding.gain?.kind, "estimated");
    assert.match(finding.detail, /10 calls\): cost [\d.]+ → [\d.]+, saves/);
  });
});

/**
 * Messages of `robots` robots (100,000 in all), and a workload that pages one robot's newest messages and
 * counts them, ten times each; what the advisor makes of it.
 */
async function adviseOnMessages(sql: Sql, schema: string, robots: number) {
  await sql.unsafe(`
    create table ${schema}.m (id bigint generated always as identity primary key, robot_id int,
      created_at timestamptz not null, body text);
    insert into ${schema}.m (robot_id, created_at, body)
      select g % ${robots}, now() - g * interval '1 second', md5(g::text) from generate_series(1, 100000) g;
    analyze ${schema}.m`);
  return await advise(sql, async () => {
    for (let i = 0; i < 10; i++) {
      await sql.unsafe(`select * from ${schema}.m where robot_id = $1 order by created_at desc limit 50`, [
        i,
      ]);
      await sql.unsafe(`select count(*) from ${schema}.m where robot_id = $1`, [i]);
    }
  });
}

Deno.test("one index chosen for two statements replaces an index for each", async () => {
  await withSchema(async (sql, schema) => {
    // 5,000 rows per robot: sorting them is what the page costs, so created_at belongs in the key
    const result = await adviseOnMessages(sql, schema, 20);
    assert.deepEqual(subjectsOn(result, schema), [`index:${schema}.m(robot_id, created_at)`]);
    const [finding] = result.findings.filter((f) => f.subject.includes(schema));
    assert.match(finding.detail, /speeds up 2 statement\(s\)/);
    const single = result.rejected.find((r) => r.subject === `index:${schema}.m(robot_id)`);
    assert.match(single?.reason ?? "", /once index:.*m\(robot_id, created_at\) is chosen/);
  });
});

Deno.test("of two indexes that save the same, the smaller one is chosen and the other says why", async () => {
  await withSchema(async (sql, schema) => {
    // 50 rows per robot: sorting them costs next to nothing, so created_at in the key buys nothing
    const result = await adviseOnMessages(sql, schema, 2000);
    assert.deepEqual(subjectsOn(result, schema), [`index:${schema}.m(robot_id)`]);
    const wider = result.rejected.find((r) => r.subject === `index:${schema}.m(robot_id, created_at)`);
    assert.match(wider?.reason ?? "", /once index:.*m\(robot_id\) is chosen/);
  });
});

Deno.test("an existing index leading with the query's columns suppresses the suggestion, with the reason", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`
      create table ${schema}.t (id bigint generated always as identity primary key, a int, b text, note text);
      insert into ${schema}.t (a, b, note) select g % 1000, md5(g::text), md5(g::text) from generate_series(1, 50000) g;
      create unique index t_a_b_key on ${schema}.t (a, b);
      analyze ${schema}.t`);
    const result = await advise(sql, async () => {
      for (let i = 0; i < 10; i++) await sql.unsafe(`select * from ${schema}.t where a = $1`, [i]);
    });
    assert.deepEqual(subjectsOn(result, schema), []);
    const rejection = result.rejected.find((r) => r.subject === `index:${schema}.t(a)`);
    assert.equal(rejection?.reason, `already provided by the existing index ${schema}.t_a_b_key (a, b)`);
  });
});

Deno.test("a write-heavy table gets no index whose saving is smaller than its write penalty", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`
      create table ${schema}.w (id bigint generated always as identity primary key, a int, note text);
      insert into ${schema}.w (a, note) select g % 500, md5(g::text) from generate_series(1, 20000) g;
      analyze ${schema}.w`);
    const result = await advise(sql, async () => {
      for (let i = 0; i < 3; i++) await sql.unsafe(`select * from ${schema}.w where a = $1`, [i]);
      await sql.unsafe(
        `insert into ${schema}.w (a, note) select g % 500, 'x' from generate_series(1, 100000) g`,
      );
    });
    assert.deepEqual(subjectsOn(result, schema), []);
    const rejection = result.rejected.find((r) => r.subject === `index:${schema}.w(a)`);
    assert.match(
      rejection?.reason ?? "",
      /^its saving of [\d.]+ ms is smaller than its write penalty of [\d.]+ ms \(100000 index entries/,
    );
  });
});

Deno.test("a predicate constant across the workload gets a partial index", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`
      create table ${schema}.p (id bigint generated always as identity primary key, title text,
        created_at timestamptz not null, deleted_at timestamptz);
      insert into ${schema}.p (title, created_at, deleted_at)
        select md5(g::text), now() - g * interval '1 minute', case when g % 50 <> 0 then now() end
        from generate_series(1, 100000) g;
      analyze ${schema}.p`);
    const result = await advise(sql, async () => {
      for (let i = 0; i < 10; i++) {
        await sql.unsafe(
          `select * from ${schema}.p where deleted_at is null order by created_at desc limit 20`,
        );
      }
    });
    assert.deepEqual(subjectsOn(result, schema), [`index:${schema}.p(created_at) where deleted_at is null`]);
  });
});

Deno.test("a parameter pg_qualstats always sees with one value gets a partial index on that value", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`
      create table ${schema}.o (id bigint generated always as identity primary key, user_id int, status text,
        note text);
      insert into ${schema}.o (user_id, status, note)
        select g % 1000, case when g % 40 = 0 then 'active' else 'archived' end, md5(g::text)
        from generate_series(1, 100000) g;
      analyze ${schema}.o`);
    // pg_qualstats samples 1 / max_connections of the statements by default: this session, all of them
    await sql`set pg_qualstats.sample_rate = 1`;
    const result = await advise(sql, async () => {
      for (let i = 0; i < 10; i++) {
        await sql.unsafe(`select * from ${schema}.o where status = $1 and user_id = $2`, ["active", i]);
      }
    });
    assert.deepEqual(subjectsOn(result, schema), [
      `index:${schema}.o(user_id) where status = 'active'::text`,
    ]);
    assert.ok(result.notes.some((n) => n.includes(`o.status = 'active'::text`)), result.notes.join("\n"));
  });
});

Deno.test("an ilike '%x%' filter gets a trigram index", async () => {
  await withSchema(async (sql, schema) => {
    // the reference app installs pg_trgm too (bench/reference_app/schema/00_base.sql)
    await sql`create extension if not exists pg_trgm with schema extensions`;
    await sql.unsafe(`
      create table ${schema}.g (id bigint generated always as identity primary key, name text);
      insert into ${schema}.g (name) select md5(g::text) from generate_series(1, 30000) g;
      analyze ${schema}.g`);
    const result = await advise(sql, async () => {
      for (let i = 0; i < 10; i++) {
        await sql.unsafe(`select id from ${schema}.g where name ilike $1`, [`%a${i}b%`]);
      }
    });
    assert.deepEqual(subjectsOn(result, schema), [
      `index:${schema}.g using gin(name extensions.gin_trgm_ops)`,
    ]);
    const [finding] = result.findings.filter((f) => f.subject.includes(schema));
    assert.match(
      finding.gain?.kind === "estimated" ? finding.gain.model : "",
      /built in a rolled-back transaction/,
    );
  });
});

Deno.test("a statement with date, interval, extract and constant arithmetic is explained after the rewrite", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`
      create table ${schema}.e (id bigint generated always as identity primary key, day date, n int,
        created_at timestamptz);
      insert into ${schema}.e (day, n, created_at)
        select date '2026-01-01' + g % 365, g, now() - g * interval '1 minute' from generate_series(1, 50000) g;
      analyze ${schema}.e`);
    const result = await advise(sql, async () => {
      for (let i = 0; i < 5; i++) {
        await sql.unsafe(`
          select id from ${schema}.e
          where day = date '2026-03-01' and created_at > now() - interval '30 days'
            and extract(epoch from created_at) > 1 + 2`);
      }
    });
    const [statement] = await sql`
      select queryid::text as queryid, query from extensions.pg_stat_statements
      where query like ${`select id from ${schema}.e%`}`;
    assert.match(statement.query, /interval \$\d.*extract\(\$\d from created_at\) > \$\d \+ \$\d/s);
    assert.equal(result.rejected.find((r) => r.subject === `statement:${statement.queryid}`), undefined);
    const finding = result.findings.find((f) => f.subject.startsWith(`index:${schema}.e(day`));
    assert.ok(finding, `no index on e(day…): ${JSON.stringify(result.findings.map((f) => f.subject))}`);
    assert.match(finding.detail, new RegExp(`statement ${statement.queryid} \\(5 calls\\)`));
  });
});

Deno.test("a statement that cannot be explained is reported with Postgres' reason", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`create table ${schema}.gone (id int, a int)`);
    const result = await advise(sql, async () => {
      for (let i = 0; i < 3; i++) await sql.unsafe(`select * from ${schema}.gone where a = $1`, [i]);
      await sql.unsafe(`drop table ${schema}.gone`);
    });
    const rejection = result.rejected.find((r) => r.rule === "index.explain" && /gone/.test(r.reason));
    assert.match(
      rejection?.reason ?? "",
      /^cannot be explained as a generic plan: relation ".*gone" does not exist$/,
    );
  });
});

Deno.test("a prepared statement left in a pooled session by an earlier run does not stop the advisor", async () => {
  await withSchema(async (sql, schema) => {
    await sql.unsafe(`
      create table ${schema}.t (id bigint generated always as identity primary key, a int);
      insert into ${schema}.t (a) select g from generate_series(1, 50000) g;
      analyze ${schema}.t`);
    await sql.unsafe("prepare advisor_q as select 1");
    const result = await advise(sql, async () => {
      for (let i = 0; i < 5; i++) await sql.unsafe(`select * from ${schema}.t where a = $1`, [i]);
    });
    assert.deepEqual(subjectsOn(result, schema), [`index:${schema}.t(a)`]);
  });
});

Deno.test("the index advisor leaves out the optimizer's own statements and says how many", async () => {
  await withSql(async (sql) => {
    const result = await advise(sql, async () => {
      await sql`select count(*) from optimizer.runs`;
    });
    const note = result.notes.find((n) => /statement\(s\) of the optimizer itself/.test(n));
    assert.match(
      note ?? "",
      /; [1-9]\d* statement\(s\) of the optimizer itself \(by role or by text\) left out/,
    );
  });
});
