import assert from "node:assert/strict";
import { type Candidate, indexName, subjectOf } from "../../shared/advisor/candidates.ts";
import {
  indexFinding,
  savingModel,
  servedStatements,
  trigramFinding,
} from "../../shared/advisor/findings.ts";
import { FindingSchema } from "../../shared/finding/finding.ts";

const window = { from: "2026-11-27T00:00:00.000Z", to: "2026-11-28T00:00:00.000Z" };

function candidate(): Candidate {
  const base = {
    schema: "public",
    table: "robot_messages",
    method: "btree" as const,
    keys: [{ sql: "robot_id", desc: false }, { sql: "created_at", desc: false }],
    include: [],
    where: null,
  };
  return {
    ...base,
    subject: subjectOf(base),
    columns: ["robot_id", "created_at"],
    leading: ["robot_id"],
    statements: ["42"],
    kind: "equality keys, then order by … limit",
  };
}

const chosen = {
  candidate: candidate(),
  sizeBytes: 3 * 1024 * 1024,
  savingMs: 44_000,
  penaltyMs: 120,
  entries: 12_000,
  statements: [{ queryid: "42", calls: 330, before: 6848.65, after: 4.86, savingMs: 44_000 }],
};

Deno.test("indexFinding() is a valid, auto-applicable Finding with the DDL and its rollback", () => {
  const finding = indexFinding(
    chosen,
    window,
    new Map([["42", "select * from robot_messages where robot_id = $1"]]),
  );
  FindingSchema.parse(finding);
  assert.equal(finding.rule, "index.suggest");
  assert.equal(finding.subject, "index:public.robot_messages(robot_id, created_at)");
  assert.equal(finding.autoApplicable, true);
  const name = indexName(chosen.candidate);
  assert.deepEqual(finding.action, {
    kind: "sql",
    sql: `create index concurrently if not exists ${name} on public.robot_messages (robot_id, created_at)`,
    rollback: `drop index concurrently if exists public.${name}`,
  });
});

Deno.test("indexFinding() names its gain's model and lists each statement with costs and saving", () => {
  const finding = indexFinding(chosen, window, new Map());
  assert.deepEqual(finding.gain, { kind: "estimated", value: 44_000, unit: "ms", model: savingModel });
  assert.match(finding.detail, /- statement 42 \(330 calls\): cost 6848\.65 → 4\.86, saves 44000 ms/);
  assert.match(
    finding.detail,
    /Estimated size 3 MB; write penalty 120 ms over the window \(12000 index entries/,
  );
  assert.deepEqual(finding.evidence.windows, [window]);
});

Deno.test("trigramFinding() suggests pg_trgm as SQL with its rollback, not to be applied by itself", () => {
  const finding = trigramFinding(
    [{ schema: "public", table: "robots", key: "name", statements: ["1", "2"] }],
    window,
  );
  FindingSchema.parse(finding);
  assert.equal(finding.subject, "extension:pg_trgm");
  assert.equal(finding.autoApplicable, false);
  assert.match(finding.detail, /- public\.robots \(name\): statements 1, 2/);
});

Deno.test("servedStatements() reads back the statements indexFinding() lists, negative queryids too", () => {
  const finding = indexFinding(
    {
      ...chosen,
      statements: [
        { queryid: "42", calls: 330, before: 6848.65, after: 4.86, savingMs: 44_000 },
        { queryid: "-7247419183269598601", calls: 12, before: 10, after: 2, savingMs: 96.5 },
      ],
    },
    window,
    new Map([["42", "select 1"]]),
  );
  assert.deepEqual(servedStatements(finding), [
    { queryid: "42", calls: 330, savingMs: 44_000 },
    { queryid: "-7247419183269598601", calls: 12, savingMs: 96.5 },
  ]);
});
