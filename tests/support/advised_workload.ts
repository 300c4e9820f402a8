/**
 * The index advisor over a workload a test runs, as in production: the workload runs between two snapshots,
 * so that the advisor reads it from pg_stat_statements through optimizer.statement_deltas.
 */
import { createIndexAdvisor } from "../../shared/advisor/index_advisor.ts";
import type { AdvisorOptions } from "../../shared/advisor/options.ts";
import { parseConfig } from "../../shared/config/config.ts";
import type { Sql as ClientSql } from "../../shared/db/client.ts";
import type { AnalysisResult } from "../../shared/recommendations/analyzer.ts";
import { flushStats, type Sql } from "./metric_store_db.ts";

/** Runs `workload` between two snapshots, then the advisor over that window; returns both. */
export async function adviseWorkload(
  sql: Sql,
  workload: () => Promise<void>,
  options: Partial<AdvisorOptions> = {},
): Promise<{ result: AnalysisResult; window: { from: Date; to: Date } }> {
  await flushStats(sql);
  // a snapshot is dated at its transaction's start: the window opens before the first one
  const [{ from }] = await sql`select clock_timestamp() as from`;
  await sql`select optimizer.take_db_snapshot()`;
  await workload();
  await flushStats(sql);
  await sql`select optimizer.take_db_snapshot()`;
  const [{ to }] = await sql`select clock_timestamp() as to`;
  const result = await createIndexAdvisor(options).analyze({
    sql: sql as unknown as ClientSql,
    now: new Date(),
    config: parseConfig({}),
    window: { from, to },
    deadline: Date.now() + 60_000,
  });
  return { result, window: { from, to } };
}
