import { createSql, createStatusStore, defaultConfig, runAnalyzers, type Sql } from "../shared/mod.ts";
import { liveAnalyzers } from "../supabase/functions/recommendations/index.ts";
import { adviseUsage, parseAdviseArgs } from "./advise/args.ts";
import { planAnalyzers } from "./advise/analyzers.ts";
import { adviseReport, formatReport, redactUrl } from "./advise/report.ts";

/**
 * `npm run advise -- --db-url <url> [--json] [--window 24h] [--verbose]`: the analysis a recommendations
 * refresh runs, against any Postgres 15+ with pg_stat_statements and hypopg, printed rather than stored.
 * It changes nothing in the database: the analyzers read, and plan or measure in rolled-back transactions.
 * Exit codes: 0 when it ran, 2 on bad arguments, 1 when the database cannot be reached (or anything else
 * stopped it, said in one line).
 */

/** What the database is, read before the analysis: also the check that it can be reached. */
async function probe(sql: Sql): Promise<{ version: number; hasOptimizerSchema: boolean }> {
  const [row] = await sql`
    select pg_catalog.current_setting('server_version_num')::int as version,
           pg_catalog.to_regnamespace('optimizer') is not null as has_optimizer_schema`;
  return { version: row.version, hasOptimizerSchema: row.has_optimizer_schema };
}

async function main(args: string[]): Promise<number> {
  const parsed = parseAdviseArgs(args);
  if (parsed.kind === "help") {
    console.log(adviseUsage);
    return 0;
  }
  if (parsed.kind === "error") {
    console.error(parsed.message);
    return 2;
  }
  const { options } = parsed;
  const sql = createSql({ functionName: "advise", url: options.dbUrl });
  try {
    let database;
    try {
      database = await probe(sql);
    } catch (error) {
      console.error(
        `cannot reach the database at ${redactUrl(options.dbUrl)}: ${(error as Error).message}\n` +
          "check the host, port, user, password and database name of --db-url",
      );
      return 1;
    }
    if (database.version < 150000) {
      console.error(`warning: this is Postgres ${database.version}; the analysis is made for Postgres 15+`);
    }
    // the thresholds a refresh of this database would use: the stored config where the suite is installed
    const config = database.hasOptimizerSchema
      ? (await createStatusStore(sql).readConfig()).config
      : defaultConfig;
    const now = new Date();
    const { run, skipped } = planAnalyzers(liveAnalyzers, database.hasOptimizerSchema);
    const outcome = await runAnalyzers(run, { sql, config, now, windowMs: options.windowMs });
    // the skipped ones keep their place in the refresh's order
    const reports = liveAnalyzers.map((a) =>
      outcome.analyzers.find((r) => r.name === a.name) ?? skipped.find((r) => r.name === a.name)!
    );
    const report = adviseReport({
      database: options.dbUrl,
      config: database.hasOptimizerSchema ? "stored" : "defaults",
      ranAt: now,
      window: { from: new Date(now.getTime() - options.windowMs), to: now, span: options.window },
      reported: outcome.reported,
      analyzers: reports,
    });
    console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report, options));
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

try {
  Deno.exit(await main(Deno.args));
} catch (error) {
  // an analyzer's own failure is in the report; this is anything else (e.g. an invalid stored config)
  console.error(`advise stopped: ${(error as Error).message}`);
  Deno.exit(1);
}
