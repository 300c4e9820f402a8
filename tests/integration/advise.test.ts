/**
 * `npm run advise`, run as a user runs it (a subprocess through npm), against the stack's database (schema
 * optimizer installed) and against a database created here without the suite, where the workload comes from
 * pg_stat_statements and nothing may be created.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { stackEnv } from "../support/env.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function advise(...args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command("npm", {
    args: ["run", "--silent", "advise", "--", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** The URL of database `name` on the stack's server. */
function databaseUrl(name: string): string {
  const url = new URL(stackEnv().dbUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Runs `body` with a new database holding pg_stat_statements, hypopg and a table of 100 000 orders that a
 * query by customer has read a few times without an index; drops the database after.
 */
async function withFreshDatabase(body: (url: string) => Promise<void>): Promise<void> {
  const name = `advise_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(stackEnv().dbUrl, { prepare: false, max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = databaseUrl(name);
  try {
    const db = postgres(url, { prepare: false, max: 1, onnotice: () => {} });
    try {
      await db`create extension pg_stat_statements`;
      await db`create extension hypopg`;
      await db`create table public.orders (
        id bigint generated always as identity primary key,
        customer_id int not null,
        total numeric not null)`;
      await db`insert into public.orders (customer_id, total)
        select (random() * 5000)::int, random() * 100 from generate_series(1, 100000)`;
      await db`analyze public.orders`;
      // the load's 100 000 inserts would count as the table's writes: the workload is reads only. A backend
      // sends its counts when idle, at most once a second unless forced: force them out before the reset.
      await db`select pg_catalog.pg_stat_force_next_flush()`;
      await db`select pg_catalog.pg_stat_reset()`;
      for (let customer = 1; customer <= 20; customer++) {
        await db`select id, total from public.orders where customer_id = ${customer}`;
      }
    } finally {
      await db.end();
    }
    await body(url);
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** The schemas and the indexes of public.orders in the database at `url`. */
async function contents(url: string): Promise<{ schemas: string[]; indexes: string[] }> {
  const db = postgres(url, { prepare: false, max: 1, onnotice: () => {} });
  try {
    const schemas = await db`select nspname from pg_catalog.pg_namespace order by nspname`;
    const indexes = await db`
      select indexname from pg_catalog.pg_indexes where schemaname = 'public' and tablename = 'orders'`;
    return { schemas: schemas.map((r) => r.nspname), indexes: indexes.map((r) => r.indexname) };
  } finally {
    await db.end();
  }
}

Deno.test("advise --json suggests the missing index on a database without the suite, reading pg_stat_statements", async () => {
  await withFreshDatabase(async (url) => {
    const before = await contents(url);
    const run = await advise("--db-url", url, "--json");
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    const index = report.findings.find((f: { action: { kind: string; sql?: string } }) =>
      f.action.kind === "sql" && /^create index\b.* on public\.orders .*\(customer_id\b/.test(f.action.sql!)
    );
    assert.ok(index, `no create index on public.orders (customer_id) in ${run.stdout}`);
    assert.match(index.action.rollback, /^drop index\b/);
    assert.match(
      index.evidence.series[0],
      /^public\.pg_stat_statements \(cumulative since its last reset\)$/,
    );
    assert.deepEqual(
      report.result.database.map((f: { fingerprint: string }) => f.fingerprint).includes(index.fingerprint),
      true,
    );
    assert.ok(
      report.notes.some((n: { analyzer: string; note: string }) =>
        n.analyzer === "index-advisor" &&
        /pg_stat_statements' cumulative counters since its last reset/.test(n.note)
      ),
      JSON.stringify(report.notes),
    );
    assert.equal(report.config, "defaults");
    const after = await contents(url);
    assert.ok(!after.schemas.includes("optimizer"), "advise created schema optimizer");
    assert.deepEqual(after, before, "advise changed the database");
  });
});

Deno.test("advise skips the metric store's analyzers on a database without the suite and runs the others", async () => {
  await withFreshDatabase(async (url) => {
    const run = await advise("--db-url", url, "--json");
    assert.equal(run.code, 0, run.stderr);
    const statuses = Object.fromEntries(
      JSON.parse(run.stdout).analyzers.map((a: { name: string; status: string }) => [a.name, a.status]),
    );
    assert.deepEqual(statuses, {
      "index-advisor": "completed",
      "db-health": "completed",
      rls: "completed",
      "query-shape": "completed",
      cache: "skipped",
      edge: "skipped",
      breakers: "skipped",
      "warm-budget": "skipped",
      correlation: "skipped",
    });
  });
});

Deno.test("advise prints a readable report with the create index statement and its rollback", async () => {
  await withFreshDatabase(async (url) => {
    const run = await advise("--db-url", url, "--window", "7d", "--verbose");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Advice for postgresql:\/\/postgres:\*\*\*@/);
    assert.match(run.stdout, /window: 7d /);
    assert.match(run.stdout, /== Database \(\d+\) ==/);
    assert.match(
      run.stdout,
      /apply:\n\s+create index\b.* on public\.orders .*\(customer_id\b.*\n\s+rollback:\n\s+drop index\b/,
    );
    assert.match(run.stdout, /gain: .*estimated \(model: /);
    assert.match(run.stdout, /== Rejected \(\d+\) ==/);
    assert.match(run.stdout, /cache: skipped: schema optimizer is absent/);
  });
});

Deno.test("advise runs every analyzer on the suite's database, reading the snapshots' statement deltas", async () => {
  const run = await advise("--db-url", stackEnv().dbUrl, "--json", "--window", "30m");
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.deepEqual(report.analyzers.map((a: { name: string }) => a.name), [
    "index-advisor",
    "db-health",
    "rls",
    "query-shape",
    "cache",
    "edge",
    "breakers",
    "warm-budget",
    "correlation",
  ]);
  assert.ok(report.analyzers.every((a: { status: string }) => a.status !== "skipped"), run.stdout);
  assert.ok(
    report.notes.some((n: { note: string }) => /^workload source: optimizer\.statement_deltas/.test(n.note)),
    JSON.stringify(report.notes),
  );
  assert.equal(Date.parse(report.window.to) - Date.parse(report.window.from), 30 * 60 * 1000);
  assert.deepEqual(Object.keys(report.result).sort(), ["cache", "database", "edge", "overall", "priority"]);
  assert.equal(report.config, "stored");
});

Deno.test("advise exits 2 and says what to pass on a bad --window", async () => {
  const run = await advise("--db-url", stackEnv().dbUrl, "--window", "soon");
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /--window must be a whole number of minutes, hours or days such as 30m, 24h or 7d: got 'soon'/,
  );
  assert.equal(run.stdout, "");
});

Deno.test("advise exits 2 and asks for --db-url when it is missing", async () => {
  const run = await advise("--json");
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--db-url is required/);
});

Deno.test("advise exits 1 and says plainly that the database cannot be reached, without a stack trace", async () => {
  const run = await advise("--db-url", "postgresql://postgres:secret@127.0.0.1:1/postgres");
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /^cannot reach the database at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres: /,
  );
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.doesNotMatch(run.stderr, /secret/);
});
