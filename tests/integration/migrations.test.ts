import assert from "node:assert/strict";
import postgres from "postgres";
import { startStack } from "../../scripts/stack/mod.ts";
import { advisorLints } from "../support/splinter.ts";
import { freePorts } from "../../scripts/stack/ports.ts";

/**
 * A second stack on its own ports and data folder: a cluster made by initdb, the platform layer, then the
 * product's migrations pushed by the real Supabase CLI onto the empty database, as onto a hosted project.
 */

Deno.test({
  name:
    "migrations apply from an empty database with the Supabase CLI and the advisors find no WARN or ERROR",
  // The second stack's Postgres and pg_cron connections outlive single test steps by design.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const stackDir = await Deno.makeTempDir({ prefix: "autopilot-fresh-stack-" });
    await Deno.chmod(stackDir, 0o755);
    const [gatewayPort, pgPort] = freePorts(2);
    const stack = await startStack({ stackDir, gatewayPort, pgPort, log: () => {} });
    const sql = postgres(stack.env.SUPABASE_DB_URL, { prepare: false, max: 1, onnotice: () => {} });
    try {
      const files = [];
      for await (const entry of Deno.readDir(new URL("../../supabase/migrations/", import.meta.url))) {
        files.push(entry.name.split("_")[0]);
      }
      const applied = await sql<{ version: string }[]>`
        select version from supabase_migrations.schema_migrations order by version`;
      assert.deepEqual(applied.map((row) => row.version), files.sort());

      const tablesWithoutRls = await sql`
        select c.relname from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'optimizer' and c.relkind in ('r', 'p') and not c.relrowsecurity`;
      assert.deepEqual(tablesWithoutRls.map((table) => table.relname), []);

      const jobs = await sql<{ jobname: string; schedule: string }[]>`
        select jobname, schedule from cron.job where jobname like 'optimizer-%' order by jobname`;
      assert.deepEqual(jobs.map((job) => job.jobname), [
        "optimizer-alerts",
        "optimizer-cache-evict",
        "optimizer-db-snapshot",
        "optimizer-index-usage",
        "optimizer-ingest-prune",
        "optimizer-predictive",
        "optimizer-recommendations",
        "optimizer-retention",
        "optimizer-rollup",
        "optimizer-system-wide",
        "optimizer-warmer",
        "optimizer-warmer-handoff",
      ]);

      // INFO lints (tables with row level security and no policies: closed to anon and authenticated on
      // purpose) are allowed; anything WARN or ERROR is not.
      const lints = await advisorLints(stack.env.SUPABASE_DB_URL, "all");
      assert.deepEqual(lints.filter((lint) => lint.level !== "INFO"), []);
    } finally {
      await sql.end();
      await stack.stop();
      await Deno.remove(stackDir, { recursive: true });
    }
  },
});
