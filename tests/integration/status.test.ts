/**
 * GET /status through the gateway: the pipeline's problems come back as Findings, and an SQL action in one
 * does what it says.
 */
import assert from "node:assert/strict";
import { type Finding, FindingSchema } from "../../shared/finding/finding.ts";
import { stackEnv } from "../support/env.ts";
import { withSql } from "../support/metric_store_db.ts";

const env = stackEnv();

async function readStatus(): Promise<{ pipeline: { healthy: boolean }; findings: Finding[] }> {
  const response = await fetch(`${env.url}/functions/v1/status`, { headers: { apikey: env.secretKey } });
  assert.equal(response.status, 200, await response.clone().text());
  return await response.json();
}

Deno.test("GET /status answers findings that are valid Findings, healthy only without any", async () => {
  const status = await readStatus();
  assert.ok(Array.isArray(status.findings));
  for (const finding of status.findings) assert.deepEqual(FindingSchema.parse(finding), finding);
  assert.equal(status.pipeline.healthy, status.findings.length === 0);
});

Deno.test("GET /status reports an inactive pg_cron job as a Finding whose SQL reactivates it", async () => {
  await withSql(async (sql) => {
    // optimizer-retention runs once a day (03:17), so switching it off for a moment stops nothing else.
    await sql`select cron.alter_job(j.jobid, active := false) from cron.job j where j.jobname = 'optimizer-retention'`;
    try {
      const inactive = (await readStatus()).findings.find((f) =>
        f.subject === "cron.job:optimizer-retention"
      );
      assert.equal(inactive?.rule, "pipeline.job-inactive");
      assert.equal(inactive.action.kind, "sql");
      assert.equal(
        (await readStatus()).findings.find((f) => f.rule === inactive.rule)?.fingerprint,
        inactive.fingerprint,
      );
      if (inactive.action.kind === "sql") await sql.unsafe(inactive.action.sql);
      const [job] = await sql`select active from cron.job where jobname = 'optimizer-retention'`;
      assert.equal(job.active, true);
      assert.equal(
        (await readStatus()).findings.some((f) => f.subject === "cron.job:optimizer-retention"),
        false,
      );
    } finally {
      await sql`select cron.alter_job(j.jobid, active := true) from cron.job j where j.jobname = 'optimizer-retention'`;
    }
  });
});
