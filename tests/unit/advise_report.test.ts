import assert from "node:assert/strict";
import { type AnalyzerReport, createFinding, type FindingInput } from "../../shared/mod.ts";
import { adviseReport, formatReport, redactUrl } from "../../scripts/advise/report.ts";

const window = { from: "2026-11-27T12:00:00.000Z", to: "2026-11-28T12:00:00.000Z" };
const base: Omit<FindingInput, "rule" | "subject" | "severity" | "title" | "system"> = {
  detail: "detail",
  evidence: { series: ["test"], windows: [window], statistic: { name: "n", value: 1 } },
  gain: null,
  action: { kind: "guidance", text: "look at it" },
  autoApplicable: false,
};

const index = createFinding({
  ...base,
  rule: "db.index.create",
  system: "db",
  subject: "index:public.orders(customer_id)",
  severity: "warning",
  title: "Create an index on public.orders (customer_id)",
  gain: { kind: "estimated", value: 91.25, unit: "%", model: "hypopg generic-plan cost" },
  action: {
    kind: "sql",
    sql: "create index concurrently orders_customer_id_idx on public.orders (customer_id);",
    rollback: "drop index concurrently if exists public.orders_customer_id_idx;",
  },
  autoApplicable: true,
});
const critical = createFinding({
  ...base,
  rule: "db.rls.initplan",
  system: "db",
  subject: "policy:public.orders.own",
  severity: "critical",
  title: "Wrap auth.uid() in a select",
  gain: { kind: "measured", value: 3.5, unit: "ms", window, method: "EXPLAIN ANALYZE, 5 runs" },
});
const edge = createFinding({
  ...base,
  rule: "edge.cold-start",
  system: "edge",
  subject: "function:robots",
  severity: "info",
  title: "Keep robots warm",
});

const analyzer = (name: string, extra: Partial<AnalyzerReport> = {}): AnalyzerReport => ({
  name,
  status: "completed",
  durationMs: 12,
  findings: 0,
  rejected: [],
  notes: [],
  error: null,
  ...extra,
});

const report = adviseReport({
  database: "postgresql://postgres:secret@db.example.com:5432/postgres",
  config: "defaults",
  ranAt: new Date(window.to),
  window: { from: new Date(window.from), to: new Date(window.to), span: "24h" },
  reported: [
    { analyzer: "index-advisor", finding: index },
    { analyzer: "rls", finding: critical },
    { analyzer: "edge", finding: edge },
  ],
  analyzers: [
    analyzer("index-advisor", {
      findings: 1,
      notes: ["workload: pg_stat_statements since its last reset"],
      rejected: [{ rule: "index.select", subject: "index:public.orders(status)", reason: "saves 0.1 %" }],
    }),
    analyzer("rls", { findings: 1 }),
    analyzer("cache", { status: "skipped", durationMs: 0, error: "schema optimizer is absent" }),
  ],
});

Deno.test("redactUrl() hides the password of a connection string", () => {
  assert.equal(redactUrl("postgresql://u:p4ss@h:5432/db"), "postgresql://u:***@h:5432/db");
  assert.equal(redactUrl("postgresql://u@h/db"), "postgresql://u@h/db");
});

Deno.test("adviseReport() keeps each finding's analyzer and gives the seed's result shape", () => {
  assert.deepEqual(report.findings.map((f) => f.analyzer), ["index-advisor", "rls", "edge"]);
  assert.deepEqual(report.result.database.map((f) => f.severity), ["critical", "warning"]);
  assert.deepEqual(report.result.priority, {
    level: "critical",
    counts: { info: 1, warning: 1, critical: 1 },
  });
  assert.equal(report.database, "postgresql://postgres:***@db.example.com:5432/postgres");
});

Deno.test("adviseReport() lists notes, a skipped analyzer's reason and rejections with their analyzer", () => {
  assert.deepEqual(report.notes, [
    { analyzer: "index-advisor", note: "workload: pg_stat_statements since its last reset" },
    { analyzer: "cache", note: "skipped: schema optimizer is absent" },
  ]);
  assert.deepEqual(report.rejected, [
    {
      analyzer: "index-advisor",
      rule: "index.select",
      subject: "index:public.orders(status)",
      reason: "saves 0.1 %",
    },
  ]);
  assert.deepEqual(report.analyzers.map((a) => Object.keys(a).sort()), [
    ["durationMs", "error", "findings", "name", "status"],
    ["durationMs", "error", "findings", "name", "status"],
    ["durationMs", "error", "findings", "name", "status"],
  ]);
});

Deno.test("formatReport() groups findings by system, most severe first", () => {
  const text = formatReport(report, { verbose: false });
  const order = [
    "== Database (2) ==",
    "[CRITICAL] Wrap auth.uid()",
    "[WARNING] Create an index",
    "== Edge functions (1) ==",
  ]
    .map((marker) => text.indexOf(marker));
  assert.ok(order.every((at) => at >= 0), text);
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.ok(!text.includes("== Cache"), "no section for a system without findings");
});

Deno.test("formatReport() prints an index's exact create index statement and its rollback", () => {
  const text = formatReport(report, { verbose: false });
  assert.match(
    text,
    / {2}apply:\n {6}create index concurrently orders_customer_id_idx on public\.orders \(customer_id\);\n {2}rollback:\n {6}drop index concurrently if exists public\.orders_customer_id_idx;/,
  );
});

Deno.test("formatReport() labels gains measured with their method or estimated with their model", () => {
  const text = formatReport(report, { verbose: false });
  assert.match(text, /gain: 91\.25 %, estimated \(model: hypopg generic-plan cost\)/);
  assert.match(
    text,
    /gain: 3\.5 ms, measured \(EXPLAIN ANALYZE, 5 runs; window 2026-11-27T12:00:00.000Z to 2026-11-28T12:00:00.000Z\)/,
  );
  assert.match(text, /gain: none claimed/);
});

Deno.test("formatReport() prints the notes and lists rejections only with verbose", () => {
  const quiet = formatReport(report, { verbose: false });
  assert.match(quiet, /index-advisor: workload: pg_stat_statements since its last reset/);
  assert.match(quiet, /cache: skipped: schema optimizer is absent/);
  assert.match(quiet, /1 candidate\(s\) rejected: --verbose lists them/);
  assert.ok(!quiet.includes("saves 0.1 %"));
  const verbose = formatReport(report, { verbose: true });
  assert.match(
    verbose,
    /== Rejected \(1\) ==\n {2}index-advisor index\.select index:public\.orders\(status\): saves 0\.1 %/,
  );
});

Deno.test("formatReport() says when there is no finding", () => {
  const empty = adviseReport({
    database: "postgresql://u@h/db",
    config: "stored",
    ranAt: new Date(window.to),
    window: { from: new Date(window.from), to: new Date(window.to), span: "24h" },
    reported: [],
    analyzers: [analyzer("index-advisor")],
  });
  assert.match(
    formatReport(empty, { verbose: false }),
    /^Advice for postgresql:\/\/u@h\/db\nwindow: 24h .*\nconfig: the suite's stored config \(optimizer\.config\)\n0 finding\(s\)\n/,
  );
});
