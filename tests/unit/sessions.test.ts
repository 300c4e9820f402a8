import assert from "node:assert/strict";
import { findSessionProblems } from "../../shared/db_health/sessions.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { catalog, session } from "../support/health_fixtures.ts";

const options = {
  longRunningQuerySeconds: 300,
  idleInTransactionSeconds: 60,
  ownApplicationPrefix: "optimizer-",
};

Deno.test("findSessionProblems() reports a query running longer than longRunningQuerySeconds", () => {
  const slow = session({
    state: "active",
    queryStart: "2026-11-28T11:50:00.000Z",
    query: "select pg_sleep(600)",
  });
  const { findings } = findSessionProblems(catalog({ sessions: [slow] }), options);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].rule, "session.long-running-query");
  assert.equal(findings[0].subject, "session:4242@2026-11-28T11:00:00.000Z");
  assert.deepEqual(findings[0].evidence.statistic, { name: "running for", value: 600, unit: "s" });
});

Deno.test("findSessionProblems() lets a short query run", () => {
  const quick = session({ state: "active", queryStart: "2026-11-28T11:58:00.000Z" });
  assert.deepEqual(findSessionProblems(catalog({ sessions: [quick] }), options), {
    findings: [],
    rejected: [],
  });
});

Deno.test("findSessionProblems() reports a session idle in a transaction since its last statement", () => {
  const idle = session({
    state: "idle in transaction",
    xactStart: "2026-11-28T11:00:00.000Z",
    queryStart: "2026-11-28T11:58:00.000Z",
    stateChange: "2026-11-28T11:58:00.000Z",
    query: "update orders set total = 0 where id = 1",
  });
  const { findings } = findSessionProblems(catalog({ sessions: [idle] }), options);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].rule, "session.idle-in-transaction");
  assert.deepEqual(findings[0].evidence.statistic, {
    name: "idle in transaction for",
    value: 120,
    unit: "s",
  });
  assert.match(findings[0].detail, /update orders set total = 0 where id = 1/);
});

Deno.test("findSessionProblems() does not report plain idle sessions however long", () => {
  const idle = session({ state: "idle", stateChange: "2026-11-27T00:00:00.000Z" });
  assert.deepEqual(findSessionProblems(catalog({ sessions: [idle] }), options).findings, []);
});

Deno.test("findSessionProblems() never reports the suite's own sessions, saying so", () => {
  const own = session({
    state: "active",
    queryStart: "2026-11-28T11:00:00.000Z",
    applicationName: "optimizer-recommendations",
  });
  assert.deepEqual(findSessionProblems(catalog({ sessions: [own] }), options), {
    findings: [],
    rejected: [{
      rule: "session.long-running-query",
      subject: "session:4242@2026-11-28T11:00:00.000Z",
      reason: "the suite's own session (application_name optimizer-recommendations), 3600 s",
    }],
  });
});
