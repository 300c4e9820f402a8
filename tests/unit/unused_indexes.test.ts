import assert from "node:assert/strict";
import { findUnusedIndexes } from "../../shared/db_health/unused_indexes.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";
import { catalog, index, ordersPkey, takenAt } from "../support/health_fixtures.ts";

const options = { unusedIndexMinDays: 7 };
const unused = index("orders_status_idx", [["status", 3]], { scans: 0, sizeBytes: 3 * 1024 * 1024 });
const daysAgo = (days: number) => new Date(takenAt.getTime() - days * 86_400_000).toISOString();

Deno.test("findUnusedIndexes() proposes dropping an index unscanned for 30 days, the rollback a concurrent build of its definition", () => {
  const { findings } = findUnusedIndexes(catalog({ indexes: [unused] }), options);
  assert.equal(findings.length, 1);
  const [finding] = findings;
  FindingSchema.parse(finding);
  assert.equal(finding.rule, "index.unused");
  assert.equal(finding.subject, "index:public.orders_status_idx");
  assert.deepEqual(finding.action, {
    kind: "sql",
    sql: "drop index concurrently if exists public.orders_status_idx",
    rollback: unused.definition.replace("CREATE INDEX", "create index concurrently"),
  });
  assert.deepEqual(finding.evidence.windows, [{ from: daysAgo(30), to: takenAt.toISOString() }]);
  assert.deepEqual(finding.evidence.series, [
    "pg_stat_user_indexes.idx_scan",
    "pg_stat_database.stats_reset",
  ]);
  assert.equal(finding.gain?.kind, "estimated");
  assert.equal(finding.gain?.value, 3);
  assert.equal(finding.autoApplicable, false);
});

Deno.test("findUnusedIndexes() states a span shorter than two days in hours or minutes", () => {
  const noted = (hours: number) => ({
    ...unused,
    usage: { scans: 0, firstSeenAt: daysAgo(hours / 24), scansChangedAt: daysAgo(hours / 24) },
  });
  const titles = (hours: number) =>
    findUnusedIndexes(catalog({ indexUsageTracked: true, indexes: [noted(hours)] }), {
      unusedIndexMinDays: 1 / 1440,
    }).findings.map((f) => f.title);
  assert.deepEqual(titles(5.5), ["Index public.orders_status_idx was not used in 5.5 hours"]);
  assert.deepEqual(titles(0.02), ["Index public.orders_status_idx was not used in 1.2 minutes"]);
  assert.deepEqual(titles(72), ["Index public.orders_status_idx was not used in 3 days"]);
});

Deno.test("findUnusedIndexes() leaves a used index alone without a word", () => {
  const used = index("orders_status_idx", [["status", 3]]);
  assert.deepEqual(findUnusedIndexes(catalog({ indexes: [used] }), options), { findings: [], rejected: [] });
});

Deno.test("findUnusedIndexes() never reports a unique, primary key or constraint index, saying why", () => {
  const unique = index("orders_ref_key", [["ref", 4]], { scans: 0, unique: true });
  const exclusion = index("orders_period_excl", [["period", 5]], {
    scans: 0,
    method: "gist",
    constraintName: "orders_period_excl",
  });
  const { findings, rejected } = findUnusedIndexes(
    catalog({ indexes: [{ ...ordersPkey, scans: 0 }, unique, exclusion] }),
    options,
  );
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => [r.subject, r.reason]), [
    [
      "index:public.orders_pkey",
      "no scan, but it is the primary key: it enforces what the table accepts and is never reported unused",
    ],
    [
      "index:public.orders_ref_key",
      "no scan, but it is unique: it enforces what the table accepts and is never reported unused",
    ],
    [
      "index:public.orders_period_excl",
      "no scan, but it backs constraint orders_period_excl: it enforces what the table accepts and is never reported unused",
    ],
  ]);
});

Deno.test("findUnusedIndexes() does not trust a zero from statistics younger than unusedIndexMinDays", () => {
  const young = catalog({ indexes: [unused], statsSince: new Date(daysAgo(2.5)) });
  const { findings, rejected } = findUnusedIndexes(young, options);
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "no scan in the 2.5 days since 2026-11-26T00:00:00.000Z (pg_stat_database.stats_reset), below recommendations.unusedIndexMinDays 7",
  ]);
});

Deno.test("findUnusedIndexes() judges nothing when the statistics' age is unknown", () => {
  const { findings, rejected } = findUnusedIndexes(
    catalog({ indexes: [unused], statsSince: null, statsSinceSource: null }),
    options,
  );
  assert.deepEqual(findings, []);
  assert.match(
    rejected[0].reason,
    /for how long cannot be told: how long the statistics have counted is unknown/,
  );
});

Deno.test("findUnusedIndexes() leaves invalid indexes to index.invalid", () => {
  const outcome = findUnusedIndexes(catalog({ indexes: [{ ...unused, valid: false }] }), options);
  assert.deepEqual(outcome, { findings: [], rejected: [] });
});

Deno.test("findUnusedIndexes() with index usage noted does not report an index created yesterday in old statistics", () => {
  const created = { ...unused, usage: { firstSeenAt: daysAgo(1), scans: 0, scansChangedAt: daysAgo(1) } };
  const { findings, rejected } = findUnusedIndexes(
    catalog({ indexUsageTracked: true, indexes: [created] }),
    options,
  );
  assert.deepEqual(findings, []);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "no scan in the 1.0 days since 2026-11-27T12:00:00.000Z (optimizer.index_usage), below recommendations.unusedIndexMinDays 7",
  ]);
});

Deno.test("findUnusedIndexes() with index usage noted reports an index whose scans stopped 10 days ago", () => {
  const stopped = index("orders_status_idx", [["status", 3]], {
    scans: 120,
    usage: { firstSeenAt: daysAgo(20), scans: 120, scansChangedAt: daysAgo(10) },
  });
  const { findings } = findUnusedIndexes(catalog({ indexUsageTracked: true, indexes: [stopped] }), options);
  assert.equal(findings.length, 1);
  assert.deepEqual(findings[0].evidence.windows, [{ from: daysAgo(10), to: takenAt.toISOString() }]);
  assert.deepEqual(findings[0].evidence.series, ["pg_stat_user_indexes.idx_scan", "optimizer.index_usage"]);
  assert.match(findings[0].detail, /idx_scan has stayed at 120/);
});

Deno.test("findUnusedIndexes() with index usage noted leaves alone an index scanned since it was last noted", () => {
  const scanned = index("orders_status_idx", [["status", 3]], {
    scans: 121,
    usage: { firstSeenAt: daysAgo(20), scans: 120, scansChangedAt: daysAgo(10) },
  });
  assert.deepEqual(findUnusedIndexes(catalog({ indexUsageTracked: true, indexes: [scanned] }), options), {
    findings: [],
    rejected: [],
  });
});

Deno.test("findUnusedIndexes() with index usage noted says so of an index not noted yet", () => {
  const { rejected } = findUnusedIndexes(catalog({ indexUsageTracked: true, indexes: [unused] }), options);
  assert.match(rejected[0].reason, /optimizer.observe_index_usage has not seen it yet/);
});
