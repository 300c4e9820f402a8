/**
 * The pg_cron jobs that ask a function for its module's run (optimizer.request_due_run()): each runs every
 * minute, posts through pg_net with the Vault secrets when a run is due, and asks for nothing while a run of its
 * module started within the interval or while the module is off.
 */
import assert from "node:assert/strict";
import { type Sql, withModuleOn, withSql } from "../support/metric_store_db.ts";

const jobs = [
  {
    job: "optimizer-recommendations",
    module: "recommendations",
    request: "request_recommendations_refresh",
    route: "recommendations/refresh",
    onByDefault: true,
  },
  {
    job: "optimizer-predictive",
    module: "predictive",
    request: "request_predictive_refresh",
    route: "predictive/run",
    onByDefault: true,
  },
  {
    job: "optimizer-warmer",
    module: "warmer",
    request: "request_warmer_run",
    route: "warmer/run",
    onByDefault: false,
  },
];

/** Runs `body` in a transaction that is rolled back, so that nothing it changes is kept. */
async function rolledBack(sql: Sql, body: (tx: Sql) => Promise<void>): Promise<void> {
  const rollback = new Error("rolled back on purpose");
  await assert.rejects(
    sql.begin(async (tx) => {
      await body(tx as unknown as Sql);
      throw rollback;
    }),
    (error) => error === rollback,
  );
}

for (const { job, module, request, route, onByDefault } of jobs) {
  Deno.test(`the ${job} job runs every minute and calls POST /${route} when a run is due`, async () => {
    await withSql(async (sql) => {
      const dueRunIsCalled = async () => {
        const [row] = await sql`select schedule, command, active from cron.job where jobname = ${job}`;
        assert.deepEqual({ ...row }, {
          schedule: "* * * * *",
          command: `select optimizer.${request}()`,
          active: true,
        });
        // a day ahead, every run recorded so far is older than the interval: a run is due
        const [{ id }] = await sql.unsafe(`select optimizer.${request}(now() + interval '1 day') as id`);
        assert.notEqual(id, null);
        let response: Record<string, unknown> | undefined;
        for (let attempt = 0; attempt < 150 && !response; attempt++) {
          [response] = await sql`select status_code, content from net._http_response where id = ${id}`;
          if (!response) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        assert.ok(response, "pg_net answered within 30 s");
        assert.equal(response.status_code, 200, String(response.content));
        const { runId } = JSON.parse(String(response.content));
        const [run] = await sql`select module, trigger, status from optimizer.runs where id = ${runId}`;
        assert.deepEqual({ ...run }, { module, trigger: "cron", status: "succeeded" });
      };
      // a module that starts off is switched on for this test; the function reads the config as committed
      await (onByDefault ? dueRunIsCalled() : withModuleOn(sql, module, dueRunIsCalled));
    });
  });

  Deno.test(`the ${job} job asks for nothing while a recent ${module} run exists`, async () => {
    await withSql(async (sql) => {
      await rolledBack(sql, async (tx) => {
        await tx`insert into optimizer.runs (module, trigger, status) values (${module}, 'api', 'succeeded')`;
        const [{ id }] = await tx.unsafe(`select optimizer.${request}() as id`);
        assert.equal(id, null);
      });
    });
  });

  Deno.test(`the ${job} job asks for nothing while modules.${module} is off`, async () => {
    await withSql(async (sql) => {
      await rolledBack(sql, async (tx) => {
        await tx`update optimizer.config set value = jsonb_set(value, '{modules}',
                   coalesce(value -> 'modules', '{}') || jsonb_build_object(${module}::text, false)) where id`;
        const [{ id }] = await tx.unsafe(`select optimizer.${request}(now() + interval '1 day') as id`);
        assert.equal(id, null);
      });
    });
  });
}
