import assert from "node:assert/strict";
import { findConnectionPressure } from "../../shared/db_health/connections.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { catalog } from "../support/health_fixtures.ts";

const options = { connectionsWarningRatio: 0.8, connectionsCriticalRatio: 0.95 };
const using = (total: number) =>
  catalog({ connections: { total, maxConnections: 100, reservedConnections: 3, byState: { idle: total } } });

Deno.test("findConnectionPressure() warns at 80 % of the slots clients may use", () => {
  const { findings } = findConnectionPressure(using(80), options);
  assert.equal(findings.length, 1);
  FindingSchema.parse(findings[0]);
  assert.equal(findings[0].severity, "warning");
  assert.equal(findings[0].title, "80 of 97 connections in use (82.5 %): close to max_connections");
});

Deno.test("findConnectionPressure() is critical at 95 %", () => {
  assert.equal(findConnectionPressure(using(93), options).findings[0].severity, "critical");
});

Deno.test("findConnectionPressure() lets a quiet server be, saying how quiet", () => {
  assert.deepEqual(findConnectionPressure(using(77), options), {
    findings: [],
    rejected: [{
      rule: "db.connections",
      subject: "database:connections",
      reason: "77 of 97 connections in use (79.4 %), below connectionsWarningRatio 0.8",
    }],
  });
});
