import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import type { DbHealthOptions } from "./db_health_options.ts";
import type { HealthCatalog, RuleOutcome } from "./health_catalog.ts";
import { percent } from "../correlate/statistics.ts";

const rule = "db.connections";

/**
 * Client connections against the slots ordinary roles may take (max_connections minus
 * superuser_reserved_connections): a warning from connectionsWarningRatio, critical from
 * connectionsCriticalRatio. Past the limit new connections fail with "too many clients already".
 */
export function findConnectionPressure(
  catalog: Pick<HealthCatalog, "connections" | "takenAt">,
  options: Pick<DbHealthOptions, "connectionsWarningRatio" | "connectionsCriticalRatio">,
): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const { total, maxConnections, reservedConnections, byState } = catalog.connections;
  const usable = Math.max(1, maxConnections - reservedConnections);
  const ratio = total / usable;
  const subject = "database:connections";
  const figures = `${total} of ${usable} connections in use (${percent(ratio)})`;
  if (ratio < options.connectionsWarningRatio) {
    rejected.push({
      rule,
      subject,
      reason: `${figures}, below connectionsWarningRatio ${options.connectionsWarningRatio}`,
    });
    return { findings, rejected };
  }
  const states = Object.entries(byState).map(([state, n]) => `${n} ${state}`).join(", ");
  findings.push(createFinding({
    rule,
    system: "db",
    subject,
    severity: ratio >= options.connectionsCriticalRatio ? "critical" : "warning",
    title: `${figures}: close to max_connections`,
    detail:
      `${figures}; max_connections is ${maxConnections}, ${reservedConnections} reserved for superusers; by state: ${
        states || "none"
      }. Once they are all taken, new connections fail. Connect through the transaction pooler (Supavisor, port 6543, with prepare: false in postgres.js), lower the pool size of each client, and close idle connections sooner.`,
    evidence: {
      series: ["pg_stat_activity", "max_connections", "superuser_reserved_connections"],
      windows: [{ from: catalog.takenAt.toISOString(), to: catalog.takenAt.toISOString() }],
      statistic: { name: "connections in use / usable", value: Math.round(ratio * 1000) / 1000 },
    },
    gain: null,
    action: {
      kind: "guidance",
      text:
        "connect through the transaction pooler (port 6543, prepare: false), lower client pool sizes, close idle connections",
    },
    autoApplicable: false,
  }));
  return { findings, rejected };
}
