/**
 * The recommendations module against the stack's Postgres: runs merged into optimizer.findings by the real
 * store (with small real analyzers that read a table the test creates), and the function's routes through
 * the gateway, applying and rolling back real concurrent index builds and drops.
 */
import assert from "node:assert/strict";
import {
  type Analyzer,
  createFinding,
  createRecommendationStore,
  createSql,
  type Finding,
  parseConfig,
  refreshRecommendations,
  type RunSummary,
  type Sql,
} from "../../shared/mod.ts";
import { stackEnv } from "../support/env.ts";
import { withSql } from "../support/metric_store_db.ts";

const env = stackEnv();
const functionsUrl = `${env.url}/functions/v1/recommendations`;

/** A table of its own for each test: `public.rec_<random>`. */
function tableName(): string {
  return `public.rec_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/**
 * A real analyzer: one Finding per row of `table`, each row giving the finding's subject and its action's
 * SQL (a guidance finding when the row has none). It fails as the table does when the table is gone.
 */
function tableAnalyzer(name: string, table: string): Analyzer {
  return {
    name,
    async analyze({ sql }) {
      const rows = await sql.unsafe<{ subject: string; action_sql: string | null }[]>(
        `select subject, action_sql from ${table} order by subject`,
      );
      const findings = rows.map((row): Finding =>
        createFinding({
          rule: "test.table-row",
          system: "db",
          subject: `${table}:${row.subject}`,
          severity: "warning",
          title: `row ${row.subject} of ${table}`,
          detail: `row ${row.subject} of ${table} asks for attention`,
          evidence: { series: [table], windows: [], statistic: { name: "rows", value: rows.length } },
          gain: null,
          action: row.action_sql
            ? { kind: "sql", sql: row.action_sql, rollback: "select 1" }
            : { kind: "guidance", text: "look at the row" },
          autoApplicable: false,
        })
      );
      return { findings, rejected: [], notes: [] };
    },
  };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/**
 * A findings table for one analyzer, and a refresh that runs that analyzer over the real store; `data` names
 * a table a test may create for the findings' SQL to act on, dropped with the rest by cleanup().
 */
async function fixture(sql: Sql) {
  const table = tableName();
  const data = `${table}_data`;
  const analyzer = tableAnalyzer(`test-${table}`, table);
  await sql.unsafe(`create table ${table} (subject text primary key, action_sql text)`);
  const db = createSql({ functionName: "recommendations-test", url: env.dbUrl });
  const store = createRecommendationStore(db);
  const refresh = (): Promise<RunSummary> =>
    refreshRecommendations({
      store,
      analyzers: [analyzer],
      sql: db,
      config: parseConfig({}),
      trigger: "api",
      now: new Date(),
    });
  const statusOf = async (subject: string) => {
    const [row] = await sql`
      select status from optimizer.findings where subject = ${`${table}:${subject}`}`;
    return row?.status ?? null;
  };
  const idOf = async (subject: string) => {
    const [row] = await sql`select id from optimizer.findings where subject = ${`${table}:${subject}`}`;
    return String(row.id);
  };
  /** Reports one row, `a`, whose finding's action is `actionSql`; returns the finding's id. */
  const reportAction = async (actionSql: string) => {
    await sql.unsafe(`insert into ${table} (subject, action_sql) values ('a', $1)`, [actionSql]);
    await refresh();
    return await idOf("a");
  };
  const cleanup = async () => {
    await sql.unsafe(`drop table if exists ${data}`);
    await sql`delete from optimizer.findings where analyzer = ${analyzer.name}`;
    await sql.unsafe(`drop table if exists ${table}`);
    await db.end();
  };
  return { table, data, analyzer, store, refresh, statusOf, idOf, reportAction, cleanup };
}

/** Runs `body` with a fixture, cleaned up after it however it ends. */
async function withFixture(body: (sql: Sql, f: Fixture) => Promise<void>): Promise<void> {
  await withSql(async (sql) => {
    const f = await fixture(sql);
    try {
      await body(sql, f);
    } finally {
      await f.cleanup();
    }
  });
}

async function post(
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${functionsUrl}${path}`, {
    method: "POST",
    headers: body === undefined
      ? { apikey: env.secretKey }
      : { apikey: env.secretKey, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test("a refresh opens the findings an analyzer reports and records the run", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`insert into ${f.table} (subject) values ('a'), ('b')`);
    const summary = await f.refresh();
    assert.deepEqual(summary.transitions, { opened: 2, seen: 0, reopened: 0, resolved: 0 });
    assert.equal(await f.statusOf("a"), "open");
    const [run] = await sql`
      select module, trigger, status, summary from optimizer.runs where id = ${summary.runId}`;
    assert.deepEqual(
      { module: run.module, trigger: run.trigger, status: run.status },
      { module: "recommendations", trigger: "api", status: "succeeded" },
    );
    assert.equal(run.summary.analyzers[0].status, "completed");
    const events = await sql`
      select e.event, e.actor from optimizer.finding_events e
      join optimizer.findings f on f.id = e.finding_id where f.subject = ${`${f.table}:a`}`;
    assert.deepEqual(events.map((e) => [e.event, e.actor]), [["opened", `run:${summary.runId}`]]);
  });
});

Deno.test("a refresh resolves the finding whose row is gone and keeps the one still reported", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`insert into ${f.table} (subject) values ('a'), ('b')`);
    await f.refresh();
    await sql.unsafe(`delete from ${f.table} where subject = 'b'`);
    const summary = await f.refresh();
    assert.deepEqual(summary.transitions, { opened: 0, seen: 1, reopened: 0, resolved: 1 });
    assert.deepEqual([await f.statusOf("a"), await f.statusOf("b")], ["open", "resolved"]);
  });
});

Deno.test("a refresh reopens a resolved finding that is reported again", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`insert into ${f.table} (subject) values ('a')`);
    await f.refresh();
    await sql.unsafe(`delete from ${f.table}`);
    await f.refresh();
    assert.equal(await f.statusOf("a"), "resolved");
    await sql.unsafe(`insert into ${f.table} (subject) values ('a')`);
    const summary = await f.refresh();
    assert.equal(summary.transitions.reopened, 1);
    assert.equal(await f.statusOf("a"), "open");
  });
});

Deno.test("a refresh deletes seen events older than retention.runDays and keeps the others", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`insert into ${f.table} (subject) values ('a')`);
    await f.refresh();
    const id = await f.idOf("a");
    await sql`
      insert into optimizer.finding_events (finding_id, event, at, actor)
      values (${id}, 'seen', now() - interval '31 days', 'test'), (${id}, 'seen', now() - interval '29 days', 'test')`;
    await f.refresh();
    const events = await sql`
      select event, now() - at > interval '1 day' as old from optimizer.finding_events
      where finding_id = ${id} order by at`;
    assert.deepEqual(events.map((e) => [e.event, e.old]), [["seen", true], ["opened", false], [
      "seen",
      false,
    ]]);
  });
});

Deno.test("an analyzer that fails resolves none of its findings and the run says why", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`insert into ${f.table} (subject) values ('a')`);
    await f.refresh();
    await sql.unsafe(`alter table ${f.table} rename to ${f.table.slice("public.".length)}_gone`);
    try {
      const summary = await f.refresh();
      assert.equal(summary.analyzers[0].status, "failed");
      assert.match(summary.analyzers[0].error ?? "", /does not exist/);
      assert.equal(summary.transitions.resolved, 0);
      assert.equal(await f.statusOf("a"), "open");
    } finally {
      await sql.unsafe(`alter table ${f.table}_gone rename to ${f.table.slice("public.".length)}`);
    }
  });
});

Deno.test("POST /:id/dismiss records who and why, and the finding stays dismissed when seen again", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`insert into ${f.table} (subject) values ('a')`);
    await f.refresh();
    const id = await f.idOf("a");
    const dismissed = await post(`/${id}/dismiss`, { reason: "the table is dropped next week" });
    assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
    const summary = await f.refresh();
    assert.equal(summary.transitions.seen, 1);
    const detail = await fetch(`${functionsUrl}/${id}`, { headers: { apikey: env.secretKey } });
    const body = await detail.json();
    assert.equal(body.finding.status, "dismissed");
    assert.deepEqual(body.finding.dismissed, {
      by: "secret:default",
      reason: "the table is dropped next week",
    });
    assert.deepEqual(body.events.map((e: { event: string }) => e.event), ["opened", "dismissed", "seen"]);
  });
});

/** The index `name` on `table`, with whether it is valid; null when there is none. */
async function indexOf(sql: Sql, table: string, name: string): Promise<{ valid: boolean } | null> {
  const [row] = await sql`
    select i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = to_regclass(${table}) and c.relname = ${name}`;
  return row ? { valid: row.valid } : null;
}

Deno.test("POST /:id/apply builds the index concurrently, audits it, and a second apply changes nothing", async () => {
  await withFixture(async (sql, f) => {
    const index = `${f.table.slice("public.".length)}_action_idx`;
    const id = await f.reportAction(`create index concurrently ${index} on ${f.table} (action_sql)`);
    const first = await post(`/${id}/apply`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.alreadyApplied, false);
    assert.deepEqual(await indexOf(sql, f.table, index), { valid: true });
    const applied = (first.body.finding as { applied: Record<string, unknown> }).applied;
    assert.equal(applied.by, "secret:default");
    assert.deepEqual(applied.rollback, {
      kind: "sql",
      sql: `drop index concurrently if exists public.${index}`,
    });

    const second = await post(`/${id}/apply`);
    assert.equal(second.status, 200);
    assert.equal(second.body.alreadyApplied, true);
    const [{ applies }] = await sql`
      select count(*)::int as applies from optimizer.finding_events where finding_id = ${id} and event = 'applied'`;
    assert.equal(applies, 1);
  });
});

Deno.test("POST /:id/rollback drops the index it built and opens the finding again", async () => {
  await withFixture(async (sql, f) => {
    const index = `${f.table.slice("public.".length)}_action_idx`;
    const id = await f.reportAction(`create index concurrently ${index} on ${f.table} (action_sql)`);
    assert.equal((await post(`/${id}/apply`)).status, 200);
    const rolledBack = await post(`/${id}/rollback`);
    assert.equal(rolledBack.status, 200, JSON.stringify(rolledBack.body));
    assert.equal(await indexOf(sql, f.table, index), null);
    assert.equal(await f.statusOf("a"), "open");
    const events = await sql`
      select event, actor from optimizer.finding_events where finding_id = ${id} order by id`;
    assert.deepEqual(events.map((e) => [e.event, e.actor]).slice(1), [
      ["applied", "secret:default"],
      ["rolled_back", "secret:default"],
    ]);
    const again = await post(`/${id}/rollback`);
    assert.equal(again.status, 409);
    assert.match(String(again.body.error), /not applied/);
  });
});

Deno.test("a concurrent unique build that fails on duplicates is a 422 and leaves no invalid index", async () => {
  await withFixture(async (sql, f) => {
    const index = `${f.table.slice("public.".length)}_email_key`;
    await sql.unsafe(`create table ${f.data} (email text)`);
    await sql.unsafe(`insert into ${f.data} values ('a@example.com'), ('a@example.com')`);
    const id = await f.reportAction(`create unique index concurrently ${index} on ${f.data} (email)`);
    const failed = await post(`/${id}/apply`);
    assert.equal(failed.status, 422, JSON.stringify(failed.body));
    assert.match(String(failed.body.error), /could not create unique index/);
    assert.deepEqual(failed.body.leftover, { index: `public.${index}`, dropped: true, error: null });
    assert.equal(await indexOf(sql, f.data, index), null);
    assert.equal(await f.statusOf("a"), "open");
    const [event] = await sql`
      select actor, detail from optimizer.finding_events where finding_id = ${id} and event = 'apply_failed'`;
    assert.equal(event.actor, "secret:default");
    assert.match(event.detail.reason, /could not create unique index/);
  });
});

Deno.test("POST /:id/apply drops the invalid leftover of an earlier failed build before building", async () => {
  await withFixture(async (sql, f) => {
    const index = `${f.table.slice("public.".length)}_email_key`;
    await sql.unsafe(`create table ${f.data} (email text)`);
    await sql.unsafe(`insert into ${f.data} values ('a@example.com'), ('a@example.com')`);
    await assert.rejects(sql.unsafe(`create unique index concurrently ${index} on ${f.data} (email)`));
    assert.deepEqual(await indexOf(sql, f.data, index), { valid: false });
    await sql.unsafe(`delete from ${f.data}`);
    const id = await f.reportAction(`create unique index concurrently ${index} on ${f.data} (email)`);
    const applied = await post(`/${id}/apply`);
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assert.deepEqual(await indexOf(sql, f.data, index), { valid: true });
  });
});

Deno.test("a build that waits for a lock past lock_timeout is a 409 and leaves no index", async () => {
  await withFixture(async (sql, f) => {
    const index = `${f.table.slice("public.".length)}_email_idx`;
    await sql.unsafe(`create table ${f.data} (email text)`);
    const id = await f.reportAction(`create index concurrently ${index} on ${f.data} (email)`);
    await withSql(async (holder) => {
      await holder.begin(async (tx) => {
        await tx.unsafe(`lock table ${f.data} in exclusive mode`);
        const blocked = await post(`/${id}/apply`);
        assert.equal(blocked.status, 409, JSON.stringify(blocked.body));
        assert.match(String(blocked.body.error), /lock timeout/);
      });
    });
    assert.equal(await indexOf(sql, f.data, index), null);
  });
});

Deno.test("POST /:id/apply drops an index concurrently, and its rollback builds it again from its definition", async () => {
  await withFixture(async (sql, f) => {
    const index = `${f.data.slice("public.".length)}_email_idx`;
    await sql.unsafe(`create table ${f.data} (email text, kind text)`);
    await sql.unsafe(`create index ${index} on ${f.data} (lower(email)) where kind is not null`);
    const [{ definition }] = await sql`select pg_get_indexdef(${`public.${index}`}::regclass) as definition`;
    const id = await f.reportAction(`drop index concurrently if exists public.${index}`);

    const dropped = await post(`/${id}/apply`);
    assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
    assert.equal(await indexOf(sql, f.data, index), null);
    const applied = (dropped.body.finding as { applied: Record<string, unknown> }).applied;
    assert.deepEqual(applied.rollback, {
      kind: "sql",
      sql: definition.replace("CREATE INDEX", "create index concurrently"),
    });

    const rolledBack = await post(`/${id}/rollback`);
    assert.equal(rolledBack.status, 200, JSON.stringify(rolledBack.body));
    assert.deepEqual(await indexOf(sql, f.data, index), { valid: true });
    const [{ again }] = await sql`select pg_get_indexdef(${`public.${index}`}::regclass) as again`;
    assert.equal(again, definition);
    assert.equal(await f.statusOf("a"), "open");
  });
});

Deno.test("POST /:id/apply refuses to drop an index that enforces something, and drops nothing", async () => {
  await withFixture(async (sql, f) => {
    const name = f.data.slice("public.".length);
    await sql.unsafe(`create table ${f.data} (id int primary key, email text unique, code text)`);
    await sql.unsafe(`create unique index ${name}_code_key on ${f.data} (code)`);
    const cases = [
      [`${name}_pkey`, /it is the primary key/],
      [`${name}_email_key`, new RegExp(`it backs constraint ${name}_email_key`)],
      [`${name}_code_key`, /it is unique/],
    ] as const;
    for (const [index, reason] of cases) {
      await sql.unsafe(`delete from ${f.table}`);
      const id = await f.reportAction(`drop index concurrently public.${index}`);
      const refused = await post(`/${id}/apply`);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.match(String(refused.body.error), reason);
      assert.match(String(refused.body.error), /would change what the table accepts/);
      assert.deepEqual(await indexOf(sql, f.data, index), { valid: true });
    }
  });
});

Deno.test("POST /:id/apply of a drop whose index is gone is a 409 that says so", async () => {
  await withFixture(async (_sql, f) => {
    const id = await f.reportAction(`drop index concurrently if exists ${f.data}_gone_idx`);
    const gone = await post(`/${id}/apply`);
    assert.equal(gone.status, 409, JSON.stringify(gone.body));
    assert.match(String(gone.body.error), /there is no index .* dropped or renamed since it was reported/);
  });
});

Deno.test("a rollback whose rebuild cannot get its lock is a 409, recorded, and the finding stays applied", async () => {
  await withFixture(async (sql, f) => {
    const index = `${f.data.slice("public.".length)}_email_idx`;
    await sql.unsafe(`create table ${f.data} (email text)`);
    await sql.unsafe(`create index ${index} on ${f.data} (email)`);
    const id = await f.reportAction(`drop index concurrently if exists public.${index}`);
    assert.equal((await post(`/${id}/apply`)).status, 200);
    await withSql(async (holder) => {
      await holder.begin(async (tx) => {
        await tx.unsafe(`lock table ${f.data} in exclusive mode`);
        const blocked = await post(`/${id}/rollback`);
        assert.equal(blocked.status, 409, JSON.stringify(blocked.body));
        assert.match(String(blocked.body.error), /the rollback's index build failed: .*lock timeout/);
      });
    });
    assert.equal(await indexOf(sql, f.data, index), null);
    assert.equal(await f.statusOf("a"), "applied");
    const [{ failures }] = await sql`
      select count(*)::int as failures from optimizer.finding_events
      where finding_id = ${id} and event = 'rollback_failed'`;
    assert.equal(failures, 1);
    assert.equal((await post(`/${id}/rollback`)).status, 200);
    assert.deepEqual(await indexOf(sql, f.data, index), { valid: true });
  });
});

Deno.test("POST /:id/apply refuses SQL with a second statement and runs none of it", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`create table ${f.data} (email text)`);
    const id = await f.reportAction(
      `create index concurrently smuggled_idx on ${f.data} (email); drop table ${f.data}`,
    );
    const refused = await post(`/${id}/apply`);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.match(String(refused.body.error), /cannot run inside a transaction block/);
    const [{ exists }] = await sql`select to_regclass(${f.data}) is not null as exists`;
    assert.equal(exists, true);
  });
});

Deno.test("POST /:id/apply of guidance is a 422 that says it is for a person", async () => {
  await withFixture(async (sql, f) => {
    await sql.unsafe(`insert into ${f.table} (subject) values ('a')`);
    await f.refresh();
    const refused = await post(`/${await f.idOf("a")}/apply`);
    assert.equal(refused.status, 422);
    assert.match(String(refused.body.error), /guidance for a person/);
    assert.equal(await f.statusOf("a"), "open");
  });
});

Deno.test("POST /:id/apply of a config patch merges it into optimizer.config and its rollback restores it", async () => {
  await withSql(async (sql) => {
    const table = tableName();
    const db = createSql({ functionName: "recommendations-test", url: env.dbUrl });
    const name = `test-config-${table}`;
    const finding = createFinding({
      rule: "test.config-patch",
      system: "overall",
      subject: table,
      severity: "info",
      title: "slow query threshold",
      detail: "lower the slow query threshold",
      evidence: { series: ["test"], windows: [], statistic: { name: "n", value: 1 } },
      gain: null,
      action: { kind: "config", patch: { alerts: { slowQueryMs: 1234 } } },
      autoApplicable: false,
    });
    const [{ before }] = await sql`select value as before from optimizer.config where id`;
    try {
      await refreshRecommendations({
        store: createRecommendationStore(db),
        analyzers: [{
          name,
          analyze: () => Promise.resolve({ findings: [finding], rejected: [], notes: [] }),
        }],
        sql: db,
        config: parseConfig({}),
        trigger: "api",
        now: new Date(),
      });
      const [{ id }] =
        await sql`select id from optimizer.findings where fingerprint = ${finding.fingerprint}`;
      const applied = await post(`/${id}/apply`);
      assert.equal(applied.status, 200, JSON.stringify(applied.body));
      const [{ value, updated_by }] = await sql`select value, updated_by from optimizer.config where id`;
      assert.equal(value.alerts.slowQueryMs, 1234);
      assert.equal(updated_by, "secret:default");
      assert.equal((await post(`/${id}/rollback`)).status, 200);
      const [{ value: restored }] = await sql`select value from optimizer.config where id`;
      assert.equal(restored.alerts.slowQueryMs, parseConfig(before).alerts.slowQueryMs);
    } finally {
      await sql`update optimizer.config set value = ${sql.json(before)} where id`;
      await sql`delete from optimizer.findings where analyzer = ${name}`;
      await db.end();
    }
  });
});

Deno.test("POST /refresh?since= analyzes the history from that instant and says so in the run", async () => {
  const since = new Date(Date.now() - 10 * 60_000).toISOString();
  const refreshed = await post(`/refresh?since=${encodeURIComponent(since)}`);
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.equal((refreshed.body.window as { from: string }).from, since);
  await withSql(async (sql) => {
    const [run] = await sql`select summary -> 'window' ->> 'from' as from from optimizer.runs
                            where id = ${refreshed.body.runId as string}`;
    assert.equal(run.from, since);
  });
});
