import assert from "node:assert/strict";
import {
  createFinding,
  estimatedGain,
  type FindingInput,
  FindingSchema,
  fingerprint,
  GainSchema,
  measuredGain,
} from "../../shared/finding/finding.ts";

const window = { from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z" };

function input(fields: Partial<FindingInput> = {}): FindingInput {
  return {
    rule: "db.missing-index",
    system: "db",
    subject: "public.robots(user_id)",
    severity: "warning",
    title: "robots is read by user_id without an index",
    detail: "12000 sequential scans of public.robots filtered on user_id in the last day",
    evidence: {
      series: ["optimizer.db_snapshot_tables(public.robots)"],
      windows: [window],
      statistic: { name: "seq_scan delta", value: 12000, unit: "scans" },
    },
    gain: estimatedGain(40, "ms p95", "rows read per scan x scans, at the measured ms per 1000 rows"),
    action: {
      kind: "sql",
      sql: "create index concurrently robots_user_id_idx on public.robots (user_id);",
      rollback: "drop index concurrently public.robots_user_id_idx;",
    },
    autoApplicable: true,
    ...fields,
  };
}

Deno.test("createFinding() returns a valid finding with its fingerprint", () => {
  const finding = createFinding(input());
  assert.equal(finding.fingerprint, fingerprint(finding));
  assert.match(finding.fingerprint, /^[0-9a-f]{64}$/);
  assert.deepEqual(FindingSchema.parse(finding), finding);
});

Deno.test("fingerprint() is the same for the same rule and subject whatever the figures, wording and time", () => {
  const today = createFinding(input());
  const tomorrow = createFinding(input({
    severity: "critical",
    title: "robots is still read without an index",
    evidence: { series: ["x"], windows: [], statistic: { name: "seq_scan delta", value: 99 } },
    gain: measuredGain(38, "ms p95", window, "paired before/after"),
  }));
  assert.equal(tomorrow.fingerprint, today.fingerprint);
});

Deno.test("fingerprint() differs by rule, system and subject, and keeps the parts apart", () => {
  const base = fingerprint({ rule: "a.b", system: "db", subject: "c" });
  assert.notEqual(fingerprint({ rule: "a.c", system: "db", subject: "c" }), base);
  assert.notEqual(fingerprint({ rule: "a.b", system: "cache", subject: "c" }), base);
  assert.notEqual(fingerprint({ rule: "a.b", system: "db", subject: "d" }), base);
  assert.notEqual(
    fingerprint({ rule: "a", system: "db", subject: "b c" }),
    fingerprint({
      rule: "a b",
      system: "db",
      subject: "c",
    }),
  );
});

// The expected value is `printf '%s' '["pipeline.job-missing","overall","cron.job:optimizer-rollup"]' | sha256sum`.
Deno.test("fingerprint() is pinned: a change of its recipe would make every known finding look new", () => {
  assert.equal(
    fingerprint({ rule: "pipeline.job-missing", system: "overall", subject: "cron.job:optimizer-rollup" }),
    "e65e637f743c2eec17347724ba446088f4835e628189d017c89b19a035c2e9c1",
  );
});

Deno.test("FindingSchema rejects a fingerprint that does not match the finding", () => {
  const finding = createFinding(input());
  const moved = { ...finding, subject: "public.robots(name)" };
  const result = FindingSchema.safeParse(moved);
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((issue) => issue.path), [["fingerprint"]]);
});

Deno.test("an estimated gain without a model is rejected", () => {
  const result = GainSchema.safeParse({ kind: "estimated", value: 40, unit: "ms p95" });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((issue) => issue.path), [["model"]]);
  assert.throws(() => estimatedGain(40, "ms p95", ""), /model/);
});

Deno.test("a measured gain without a window or a method is rejected", () => {
  const noWindow = GainSchema.safeParse({ kind: "measured", value: 40, unit: "ms p95", method: "paired" });
  assert.equal(noWindow.success, false);
  assert.deepEqual(noWindow.error?.issues.map((issue) => issue.path), [["window"]]);
  const noMethod = GainSchema.safeParse({ kind: "measured", value: 40, unit: "ms p95", window });
  assert.deepEqual(noMethod.error?.issues.map((issue) => issue.path), [["method"]]);
});

Deno.test("a measured gain cannot pass for an estimate, nor carry a model", () => {
  const mixed = GainSchema.safeParse({
    kind: "measured",
    value: 1,
    unit: "ms",
    window,
    method: "m",
    model: "x",
  });
  assert.equal(mixed.success, false);
  assert.equal(GainSchema.safeParse({ value: 1, unit: "ms", model: "x" }).success, false);
});

Deno.test("a measured gain's window must not end before it starts", () => {
  const backwards = { from: window.to, to: window.from };
  assert.throws(() => measuredGain(1, "ms", backwards, "paired"), /from must not be later than to/);
});

Deno.test("an SQL action without its rollback is rejected", () => {
  assert.throws(
    () => createFinding(input({ action: { kind: "sql", sql: "create index x on t (a);" } as never })),
    (error: Error) => error.message.includes('"rollback"'),
  );
});

Deno.test("a config patch must name settings that exist", () => {
  const patch = createFinding(input({ action: { kind: "config", patch: { modules: { warmer: true } } } }));
  assert.deepEqual(patch.action, { kind: "config", patch: { modules: { warmer: true } } });
  const result = FindingSchema.safeParse({
    ...patch,
    action: { kind: "config", patch: { modules: { warmr: true } } },
  });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues[0].path, ["action", "patch", "modules"]);
});

Deno.test("createFinding() names the field that is wrong", () => {
  assert.throws(() => createFinding(input({ system: "network" as never })), /system/);
  assert.throws(() => createFinding(input({ rule: "Missing Index" })), /dotted kebab-case/);
});
