import assert from "node:assert/strict";
import {
  type ExistingIndex,
  generateCandidates,
  indexDdl,
  indexName,
} from "../../shared/advisor/candidates.ts";
import { advisorDefaults } from "../../shared/advisor/options.ts";
import { parseCondition, type TableAccess } from "../../shared/advisor/plan.ts";

function access(filter: string, fields: Partial<TableAccess> = {}): TableAccess {
  return {
    schema: "public",
    table: "robots",
    groups: parseCondition(filter, "r"),
    sort: [],
    limited: false,
    output: [],
    ...fields,
  };
}

function generate(
  accesses: TableAccess[],
  existing: ExistingIndex[] = [],
  trigramSchema: string | null = null,
) {
  return generateCandidates({
    statements: accesses.map((a, i) => ({ queryid: String(i + 1), accesses: [a] })),
    existing,
    stats: {
      "public.robots": {
        selectivity: { "deleted_at is null": 0.05, "is_public": 0.9 },
        distinct: { user_id: 5000, name: 90_000 },
      },
    },
    trigramSchema,
  }, advisorDefaults);
}

/** The unique index on robots (user_id, name): its columns lead with user_id. */
const unique: ExistingIndex = {
  schema: "public",
  table: "robots",
  name: "robots_user_id_name_key",
  method: "btree",
  keys: ["user_id", "name"],
  include: [],
  predicate: null,
};

Deno.test("generateCandidates() puts two equality columns in one index, the most distinct first", () => {
  const { candidates } = generate([access("((r.user_id = $1) AND (r.name = $2))")]);
  assert.deepEqual(candidates.map((c) => c.subject), ["index:public.robots(name, user_id)"]);
});

Deno.test("generateCandidates() follows equality keys with the sort key of an order by … limit", () => {
  const { candidates } = generate([
    access("(r.user_id = $1)", {
      sort: [{ key: { kind: "column", column: "created_at" }, desc: true }],
      limited: true,
    }),
  ]);
  const sorted = candidates.find((c) => c.kind === "equality keys, then order by … limit");
  assert.equal(sorted?.subject, "index:public.robots(user_id, created_at)");
});

Deno.test("generateCandidates() proposes a partial index for a selective constant predicate", () => {
  const { candidates } = generate([access("((r.user_id = $1) AND (r.deleted_at IS NULL))")]);
  assert.ok(candidates.some((c) => c.subject === "index:public.robots(user_id) where deleted_at is null"));
});

Deno.test("generateCandidates() drops a partial index whose predicate keeps most rows, with the share", () => {
  const { rejected } = generate([access("((r.user_id = $1) AND r.is_public)")]);
  assert.deepEqual(rejected, [{
    rule: "index.candidate",
    subject: "index:public.robots(user_id) where is_public",
    reason: "its predicate keeps 90 % of the rows (pg_stats), above maxPartialSelectivity 50 %",
  }]);
});

Deno.test("generateCandidates() adds include columns when few other columns are read", () => {
  const { candidates } = generate([access("(r.user_id = $1)", { output: ["id", "name"] })]);
  assert.ok(candidates.some((c) => c.subject === "index:public.robots(user_id) include (id, name)"));
});

Deno.test("generateCandidates() skips a candidate whose columns lead an existing index, naming it", () => {
  const { candidates, rejected } = generate([access("(r.user_id = $1)")], [unique]);
  assert.deepEqual(candidates, []);
  assert.deepEqual(rejected, [{
    rule: "index.candidate",
    subject: "index:public.robots(user_id)",
    reason: "already provided by the existing index public.robots_user_id_name_key (user_id, name)",
  }]);
});

Deno.test("generateCandidates() proposes a trigram GIN index for ilike when pg_trgm is installed", () => {
  const { candidates } = generate([access("(r.name ~~* $1)")], [], "extensions");
  assert.deepEqual(candidates.map((c) => c.subject), [
    "index:public.robots using gin(name extensions.gin_trgm_ops)",
  ]);
});

Deno.test("generateCandidates() lists ilike filters as needing pg_trgm when it is not installed", () => {
  const { candidates, needTrigram } = generate([access("(r.name ~~* $1)")]);
  assert.deepEqual(candidates, []);
  assert.deepEqual(needTrigram, [{ schema: "public", table: "robots", key: "name", statements: ["1"] }]);
});

Deno.test("generateCandidates() proposes expression indexes for lower(x) and ->>", () => {
  const { candidates } = generate([access("((lower(r.email) = $1) AND ((r.data ->> 'kind'::text) = $2))")]);
  assert.equal(candidates[0].subject, "index:public.robots(lower(email), (data ->> 'kind'))");
});

Deno.test("generateCandidates() merges the same index proposed for two statements", () => {
  const { candidates } = generate([access("(r.user_id = $1)"), access("(r.user_id = $1)")]);
  assert.deepEqual(candidates.map((c) => c.statements), [["1", "2"]]);
});

Deno.test("generateCandidates() bundles an index per branch of an OR, which only help together", () => {
  const { bundles } = generate([access("((r.owner_id = $1) OR (r.is_public AND (r.deleted_at IS NULL)))")]);
  assert.deepEqual(bundles, [[
    "index:public.robots(owner_id)",
    "index:public.robots(is_public) where is_public and deleted_at is null",
  ]]);
});

Deno.test("generateCandidates() leaves a branch an existing index serves out of the bundle", () => {
  const { bundles } = generate([access("((r.user_id = $1) OR (r.is_public AND (r.deleted_at IS NULL)))")], [
    unique,
  ]);
  assert.deepEqual(bundles, []);
});

Deno.test("indexDdl() creates concurrently under a stable name of at most 63 characters", () => {
  const [candidate] = generate([access("((r.user_id = $1) AND (r.name = $2))")]).candidates;
  const name = indexName(candidate);
  assert.ok(name.length <= 63);
  assert.equal(name, indexName(candidate));
  assert.equal(
    indexDdl(candidate, name, true),
    `create index concurrently if not exists ${name} on public.robots (name, user_id)`,
  );
});
