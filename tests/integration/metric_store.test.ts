/**
 * Schema optimizer as a whole: its pg_cron jobs, its privileges (nothing for anon / authenticated, row level
 * security on every table) and the status overview.
 */
import assert from "node:assert/strict";
import { withSql } from "../support/metric_store_db.ts";

const expectedJobs = [
  {
    jobname: "optimizer-db-snapshot",
    schedule: "*/5 * * * *",
    command: "select optimizer.take_db_snapshot()",
  },
  { jobname: "optimizer-retention", schedule: "17 3 * * *", command: "select optimizer.apply_retention()" },
  { jobname: "optimizer-rollup", schedule: "* * * * *", command: "select optimizer.rollup_metrics()" },
];

Deno.test("the metric store's cron jobs exist and each command runs", async () => {
  await withSql(async (sql) => {
    const jobs = await sql`
      select jobname, schedule, command from cron.job
      where jobname in ('optimizer-rollup', 'optimizer-db-snapshot', 'optimizer-retention') and active
      order by jobname`;
    assert.deepEqual([...jobs], expectedJobs);
    const steps: Record<string, string> = {
      "optimizer-rollup": "rollup",
      "optimizer-db-snapshot": "snapshot",
      "optimizer-retention": "retention",
    };
    for (const job of jobs) {
      const [row] = await sql.unsafe(job.command);
      assert.ok(Object.values(row)[0] !== null, `${job.command} returned null`);
      // Every run of a module is recorded, the pipeline's own jobs included.
      const [run] = await sql`
        select status, summary->>'step' as step from optimizer.runs
        where module = 'monitoring' order by id desc limit 1`;
      assert.deepEqual({ ...run }, { status: "succeeded", step: steps[job.jobname] });
    }
  });
});

Deno.test("every optimizer table has row level security and the API roles reach nothing", async () => {
  await withSql(async (sql) => {
    const tables = await sql`
      select c.relname, c.relrowsecurity from pg_class c
      where c.relnamespace = 'optimizer'::regnamespace and c.relkind in ('r', 'p')`;
    assert.ok(tables.length >= 8);
    assert.deepEqual(tables.filter((t) => !t.relrowsecurity).map((t) => t.relname), []);

    const leaks = await sql`
      select r.rolname, 'schema' as kind, 'optimizer' as name
      from pg_roles r where r.rolname in ('anon', 'authenticated') and has_schema_privilege(r.oid, 'optimizer', 'usage')
      union all
      select r.rolname, 'table', c.relname from pg_roles r, pg_class c
      where r.rolname in ('anon', 'authenticated') and c.relnamespace = 'optimizer'::regnamespace
        and c.relkind in ('r', 'p', 'v', 'm', 'S')
        and (has_table_privilege(r.oid, c.oid, 'select, insert, update, delete, truncate, references, trigger'))
      union all
      select r.rolname, 'function', p.oid::regprocedure::text from pg_roles r, pg_proc p
      where r.rolname in ('anon', 'authenticated') and p.pronamespace = 'optimizer'::regnamespace
        and has_function_privilege(r.oid, p.oid, 'execute')`;
    assert.deepEqual([...leaks], []);

    for (const role of ["anon", "authenticated"]) {
      for (
        const statement of ["select * from optimizer.metric_rollups", "select optimizer.status_overview()"]
      ) {
        await assert.rejects(
          sql.begin(async (tx) => {
            await tx.unsafe(`set local role ${role}`);
            await tx.unsafe(statement);
          }),
          /permission denied/,
          `${role}: ${statement}`,
        );
      }
    }
  });
});

Deno.test("status_overview reports volumes, freshness, cron jobs and module runs", async () => {
  await withSql(async (sql) => {
    await sql`select optimizer.rollup_metrics('manual')`;
    await sql`select optimizer.take_db_snapshot()`;
    const [{ status }] = await sql`select optimizer.status_overview() as status`;
    assert.equal(typeof status.volumes.events_estimate, "number");
    assert.equal(typeof status.volumes.events_pending_rollup, "number");
    assert.ok(status.volumes.snapshots >= 1);
    assert.ok(status.volumes.event_partitions >= 8);
    assert.ok(status.snapshots.age_seconds >= 0 && status.snapshots.age_seconds < 60);
    assert.deepEqual(
      status.cron_jobs.map((j: { jobname: string }) => j.jobname).filter((n: string) =>
        expectedJobs.some((e) => e.jobname === n)
      ),
      expectedJobs.map((j) => j.jobname),
    );
    for (const job of status.cron_jobs) assert.equal(typeof job.failures_24h, "number");
    assert.equal(status.modules.monitoring.status, "succeeded");
  });
});
