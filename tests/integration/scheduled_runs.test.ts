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

/** The run id the function answered pg_net request `id` with, once pg_net has its answer (at most 30 s). */
async function answeredRunId(sql: Sql, id: string): Promise<string> {
  let response: Record<string, unknown> | undefined;
  for (let attempt = 0; attempt < 150 && !response; attempt++) {
    [response] = await sql`select status_code, content from net._http_response where id = ${id}`;
    if (!response) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(response, "pg_net answered within 30 s");
  assert.equal(response.status_code, 200, String(response.content));
  return JSON.parse(String(response.content)).runId;
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
        const runId = await answeredRunId(sql, id);
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

/*
 * The system-wide job is checked without letting its run happen: a run applies every open finding it plans,
 * those of the other tests included. What it posts is enqueued in the transaction that asks, rolled back.
 */
Deno.test("the optimizer-system-wide job runs every minute and asks for POST /optimize-system when a run is due", async () => {
  await withSql(async (sql) => {
    const [row] =
      await sql`select schedule, command, active from cron.job where jobname = 'optimizer-system-wide'`;
    assert.deepEqual({ ...row }, {
      schedule: "* * * * *",
      command: "select optimizer.request_system_run()",
      active: true,
    });
    await rolledBack(sql, async (tx) => {
      await tx`update optimizer.config set value = jsonb_set(value, '{modules}',
                 coalesce(value -> 'modules', '{}') || '{"systemWide": true}'::jsonb) where id`;
      const [{ id }] = await tx`select optimizer.request_system_run(now() + interval '1 day') as id`;
      assert.notEqual(id, null);
      const [request] = await tx`select url, method from net.http_request_queue where id = ${id}`;
      assert.deepEqual({ ...request }, {
        url: `${(await vaultProjectUrl(tx)).replace(/\/$/, "")}/functions/v1/optimize-system?trigger=cron`,
        method: "POST",
      });
    });
  });
});

Deno.test("the optimizer-system-wide job asks for nothing while modules.systemWide is off or a run is recent", async () => {
  await withSql(async (sql) => {
    await rolledBack(sql, async (tx) => {
      const [{ off }] = await tx`select optimizer.request_system_run(now() + interval '1 day') as off`;
      assert.equal(off, null, "off by default");
      await tx`update optimizer.config set value = jsonb_set(value, '{modules}',
                 coalesce(value -> 'modules', '{}') || '{"systemWide": true}'::jsonb) where id`;
      await tx`insert into optimizer.runs (module, trigger, status) values ('systemWide', 'api', 'succeeded')`;
      const [{ recent }] = await tx`select optimizer.request_system_run() as recent`;
      assert.equal(recent, null);
    });
  });
});

/** The project URL stored in Vault. */
async function vaultProjectUrl(sql: Sql): Promise<string> {
  const [{ url }] =
    await sql`select decrypted_secret as url from vault.decrypted_secrets where name = 'project_url'`;
  return url;
}

/** Waits until the current minute has at least `ms` left, so that pg_cron's runs on the minute stay out of the way. */
async function awayFromTheMinute(ms: number): Promise<void> {
  const left = 60_000 - Date.now() % 60_000;
  if (left < ms) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
}

Deno.test("the optimizer-warmer-handoff job waits for the last run's worker to retire, then asks for a run", async () => {
  await withSql(async (sql) => {
    const [row] =
      await sql`select schedule, command, active from cron.job where jobname = 'optimizer-warmer-handoff'`;
    assert.deepEqual({ ...row }, {
      schedule: "* * * * *",
      command: "select optimizer.request_warmer_handoff()",
      active: true,
    });
    await withModuleOn(sql, "warmer", async () => {
      await awayFromTheMinute(15_000);
      // the latest run says its worker retires in 2 s
      const [{ id: lastRunId }] = await sql`
        insert into optimizer.runs (module, trigger, status, summary)
        values ('warmer', 'api', 'succeeded', jsonb_build_object('window', jsonb_build_object(
          'senderRetiresAt', now() + interval '2 seconds')))
        returning id`;
      try {
        const started = Date.now();
        const [{ id }] = await sql`select optimizer.request_warmer_handoff() as id`;
        assert.notEqual(id, null);
        const waited = Date.now() - started;
        assert.ok(waited >= 2_500, `asked after ${waited} ms: not before the retirement`);
        const handoffRunId = await answeredRunId(sql, id);
        const [run] =
          await sql`select module, trigger, status from optimizer.runs where id = ${handoffRunId}`;
        assert.deepEqual({ ...run }, { module: "warmer", trigger: "handoff", status: "succeeded" });
      } finally {
        await sql`delete from optimizer.runs where id = ${lastRunId}`;
      }
    });
  });
});

Deno.test("the optimizer-warmer-handoff job asks for nothing when the last run's worker outlives the minute", async () => {
  await withSql(async (sql) => {
    await withModuleOn(sql, "warmer", async () => {
      await rolledBack(sql, async (tx) => {
        for (const retires of ["5 minutes", "-1 minute"]) {
          await tx`
            insert into optimizer.runs (module, trigger, status, started_at, summary)
            values ('warmer', 'api', 'succeeded', now() + interval '1 hour', jsonb_build_object('window',
              jsonb_build_object('senderRetiresAt', now() + ${retires}::interval)))`;
          const [{ id }] = await tx`select optimizer.request_warmer_handoff(now() + interval '1 hour') as id`;
          assert.equal(id, null, `a worker retired ${retires} from now`);
        }
      });
    });
  });
});

Deno.test("a handoff run does not hold back the next scheduled run of its module", async () => {
  await withSql(async (sql) => {
    await rolledBack(sql, async (tx) => {
      // no module records systemWide runs yet: only the ones inserted here count
      const due = async () =>
        (await tx`select optimizer.request_due_run('systemWide', 'warmer/plan', true, 1, 60, now()) as id`)[0]
          .id;
      await tx`insert into optimizer.runs (module, trigger, status) values ('systemWide', 'handoff', 'succeeded')`;
      assert.notEqual(await due(), null);
      await tx`insert into optimizer.runs (module, trigger, status) values ('systemWide', 'cron', 'succeeded')`;
      assert.equal(await due(), null);
    });
  });
});
