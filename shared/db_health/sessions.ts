import { createFinding, type Finding } from "../finding/finding.ts";
import type { Rejection } from "../recommendations/analyzer.ts";
import { SECOND_MS } from "../time.ts";
import type { DbHealthOptions } from "./db_health_options.ts";
import type { HealthCatalog, RuleOutcome, SessionRow } from "./health_catalog.ts";
import { abbreviate } from "../sql/abbreviate.ts";

/** Query text shown in a finding, at most this long. */
const maxQueryChars = 200;

const secondsSince = (at: string, now: Date) => Math.max(0, (now.getTime() - Date.parse(at)) / SECOND_MS);

/** A session is named by its pid and start, so a reused pid is another session. */
const sessionSubject = (session: SessionRow) => `session:${session.pid}@${session.backendStart}`;

const who = (session: SessionRow) =>
  `pid ${session.pid} (user ${session.userName ?? "unknown"}, application "${session.applicationName}")`;

/**
 * Client sessions running one query for longSeconds or more (state `active`, since query_start), and
 * sessions idle inside a transaction for idleInTransactionSeconds or more (since state_change): those hold
 * their locks and keep vacuum from removing dead rows of every table. The suite's own sessions
 * (application_name starting with ownApplicationPrefix) are never reported. The adapter reads client
 * backends only, so background workers (autovacuum, pg_cron's launcher, WAL senders) never appear.
 */
export function findSessionProblems(
  catalog: Pick<HealthCatalog, "sessions" | "takenAt">,
  options: Pick<
    DbHealthOptions,
    "longRunningQuerySeconds" | "idleInTransactionSeconds" | "ownApplicationPrefix"
  >,
): RuleOutcome {
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const now = catalog.takenAt;
  for (const session of catalog.sessions) {
    const idle = session.state?.startsWith("idle in transaction") ?? false;
    const since = idle ? session.stateChange : session.state === "active" ? session.queryStart : null;
    if (since === null) continue;
    const seconds = secondsSince(since, now);
    const rule = idle ? "session.idle-in-transaction" : "session.long-running-query";
    const threshold = idle ? options.idleInTransactionSeconds : options.longRunningQuerySeconds;
    if (seconds < threshold) continue;
    const subject = sessionSubject(session);
    if (session.applicationName.startsWith(options.ownApplicationPrefix)) {
      rejected.push({
        rule,
        subject,
        reason: `the suite's own session (application_name ${session.applicationName}), ${
          Math.round(seconds)
        } s`,
      });
      continue;
    }
    const evidence = {
      series: ["pg_stat_activity"],
      windows: [{ from: new Date(since).toISOString(), to: now.toISOString() }],
      statistic: {
        name: idle ? "idle in transaction for" : "running for",
        value: Math.round(seconds),
        unit: "s",
      },
    };
    findings.push(createFinding(
      idle
        ? {
          rule,
          system: "db",
          subject,
          severity: "warning",
          title: `Session ${session.pid} is idle in a transaction for ${Math.round(seconds)} s`,
          detail: `${who(session)} has been ${session.state} since ${since}, last statement: ${
            abbreviate(session.query, maxQueryChars)
          }. An open transaction holds its locks and keeps vacuum from removing dead rows. Commit or roll back promptly in the client; set idle_in_transaction_session_timeout so that the database ends such sessions.`,
          evidence,
          gain: null,
          action: {
            kind: "guidance",
            text:
              `end it with select pg_terminate_backend(${session.pid}); prevent it with alter role … set idle_in_transaction_session_timeout = '60s'`,
          },
          autoApplicable: false,
        }
        : {
          rule,
          system: "db",
          subject,
          severity: "warning",
          title: `Query of session ${session.pid} has been running for ${Math.round(seconds)} s`,
          detail: `${who(session)} has been running since ${since}: ${
            abbreviate(session.query, maxQueryChars)
          }. Find why it is slow (EXPLAIN), and bound such queries with statement_timeout.`,
          evidence,
          gain: null,
          action: {
            kind: "guidance",
            text:
              `cancel it with select pg_cancel_backend(${session.pid}); bound such queries with alter role … set statement_timeout`,
          },
          autoApplicable: false,
        },
    ));
  }
  return { findings, rejected };
}
