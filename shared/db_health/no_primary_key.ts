import { createFinding, type Finding } from "../finding/finding.ts";
import type { RuleOutcome, TableRow } from "./health_catalog.ts";

const rule = "table.no-primary-key";

/**
 * Tables without a primary key, as Supabase's linter reports them (no_primary_key, a performance lint): rows
 * cannot be addressed one by one (PostgREST updates and deletes, Realtime's changes on such tables carry
 * no key), and duplicates creep in. Materialized views have no key to have.
 */
export function findTablesWithoutPrimaryKey(tables: TableRow[]): RuleOutcome {
  const findings: Finding[] = [];
  for (const table of tables) {
    if (table.materialized || table.hasPrimaryKey) continue;
    findings.push(createFinding({
      rule,
      system: "db",
      subject: `table:${table.schema}.${table.table}`,
      severity: "info",
      title: `Table ${table.schema}.${table.table} has no primary key`,
      detail: `${table.schema}.${table.table} (about ${
        Math.max(0, Math.round(table.rowEstimate))
      } rows) has no primary key: a row cannot be found by its identity without a scan or another index, logical replication (Supabase Realtime) cannot tell updated and deleted rows apart, and duplicates go unnoticed. Add one.`,
      evidence: {
        series: ["pg_index.indisprimary"],
        windows: [],
        statistic: { name: "primary key", value: false },
      },
      gain: null,
      action: {
        kind: "guidance",
        text:
          `alter table ${table.qualifiedTable} add primary key (<columns that identify a row>), or, without such columns, alter table ${table.qualifiedTable} add column id bigint generated always as identity primary key`,
      },
      autoApplicable: false,
    }));
  }
  return { findings, rejected: [] };
}
