import assert from "node:assert/strict";
import {
  findPermissiveOverlaps,
  findUnindexedPolicyColumns,
  type FunctionCatalog,
  type IndexLead,
  mergedSelectPolicySql,
  planPolicyRewrite,
  type Policy,
} from "../../shared/rls/policy_checks.ts";

const functions: FunctionCatalog = new Map([
  ["auth.uid", { volatility: "stable", returnsSet: false }],
  ["auth.jwt", { volatility: "stable", returnsSet: false }],
  ["pg_catalog.current_setting", { volatility: "stable", returnsSet: false }],
  ["pg_catalog.lower", { volatility: "immutable", returnsSet: false }],
  ["pg_catalog.random", { volatility: "volatile", returnsSet: false }],
  ["public.my_teams", { volatility: "stable", returnsSet: true }],
  ["public.is_member", { volatility: "stable", returnsSet: false }],
]);

function policy(overrides: Partial<Policy>): Policy {
  return {
    schema: "public",
    table: "robots",
    name: "owners manage their robots",
    permissive: true,
    roles: ["authenticated"],
    command: "all",
    using: "(auth.uid() = user_id)",
    withCheck: "(auth.uid() = user_id)",
    ...overrides,
  };
}

// The reference app's policies (bench/reference_app/schema/00_base.sql) as pg_get_expr prints them.
const referencePolicies: Policy[] = [
  policy({}),
  policy({
    name: "anyone reads public robots",
    roles: ["anon", "authenticated"],
    command: "select",
    using: "((is_public = true) AND (deleted_at IS NULL))",
    withCheck: null,
  }),
  policy({ table: "robot_messages", name: "owners manage their messages" }),
  policy({
    table: "market_candles",
    name: "anyone reads candles",
    roles: ["anon", "authenticated"],
    command: "select",
    using: "true",
    withCheck: null,
  }),
];

Deno.test("planPolicyRewrite() wraps auth.uid() in USING and WITH CHECK, with the original as rollback", () => {
  const { rewrite } = planPolicyRewrite(referencePolicies[0], functions);
  assert.ok(rewrite);
  assert.equal(
    rewrite.sql,
    'alter policy "owners manage their robots" on "public"."robots" ' +
      "using (((select auth.uid()) = user_id)) with check (((select auth.uid()) = user_id))",
  );
  assert.equal(
    rewrite.rollback,
    'alter policy "owners manage their robots" on "public"."robots" ' +
      "using ((auth.uid() = user_id)) with check ((auth.uid() = user_id))",
  );
  assert.deepEqual(rewrite.wrapped, ["auth.uid()"]);
  assert.equal(rewrite.semanticsPreserving, true);
});

Deno.test("planPolicyRewrite() leaves out WITH CHECK when the policy has none", () => {
  const { rewrite } = planPolicyRewrite(
    policy({ command: "select", using: "((auth.jwt() ->> 'role'::text) = 'admin'::text)", withCheck: null }),
    functions,
  );
  assert.equal(
    rewrite?.sql,
    `alter policy "owners manage their robots" on "public"."robots" ` +
      `using ((((select auth.jwt()) ->> 'role'::text) = 'admin'::text))`,
  );
});

Deno.test("planPolicyRewrite() does not fire for a policy that calls no function, and says so", () => {
  const { rewrite, rejected } = planPolicyRewrite(referencePolicies[1], functions);
  assert.equal(rewrite, null);
  assert.deepEqual(rejected.map((r) => r.reason), ["the policy calls no function"]);
});

Deno.test("planPolicyRewrite() does not fire for an already wrapped call, and says so", () => {
  const { rewrite, rejected } = planPolicyRewrite(
    policy({ using: "(( SELECT auth.uid() AS uid) = user_id)", withCheck: null }),
    functions,
  );
  assert.equal(rewrite, null);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "auth.uid(): already evaluated once per statement (an initPlan)",
  ]);
});

Deno.test("planPolicyRewrite() keeps immutable, set-returning and row-reading calls per row, with reasons", () => {
  const { rewrite, rejected } = planPolicyRewrite(
    policy({
      using: "((lower(name) = 'x'::text) AND (team_id IN ( SELECT public.my_teams() AS my_teams)) AND " +
        "public.is_member(team_id) AND (team_id = ANY (public.my_teams())))",
      withCheck: null,
    }),
    functions,
  );
  assert.equal(rewrite, null);
  assert.deepEqual(rejected.map((r) => r.reason), [
    "lower(name): immutable: Postgres folds a call with constant arguments",
    "public.my_teams(): already evaluated once per statement (an initPlan)",
    "public.is_member(team_id): reads column team_id of the row, so it runs per row by necessity",
    "public.my_teams(): returns a set: a scalar sub-select of it fails on a second row",
  ]);
});

Deno.test("planPolicyRewrite() wraps a VOLATILE call but does not call the rewrite semantics-preserving", () => {
  const { rewrite } = planPolicyRewrite(policy({ using: "(random() < (0.5)::double precision)" }), functions);
  assert.equal(rewrite?.semanticsPreserving, false);
  assert.equal(rewrite?.using, "((select random()) < (0.5)::double precision)");
});

Deno.test("planPolicyRewrite() wraps only the outer call when calls nest", () => {
  const { rewrite } = planPolicyRewrite(
    policy({ using: "(org = (current_setting('app.org'::text, true))::uuid)", withCheck: null }),
    functions,
  );
  assert.equal(rewrite?.using, "(org = ((select current_setting('app.org'::text, true)))::uuid)");
});

Deno.test("findPermissiveOverlaps() finds the reference app's two select policies for authenticated on robots", () => {
  assert.deepEqual(findPermissiveOverlaps(referencePolicies, ["anon", "authenticated"]), [{
    schema: "public",
    table: "robots",
    policies: ["anyone reads public robots", "owners manage their robots"],
    appliesTo: [{ role: "authenticated", command: "select" }],
  }]);
});

Deno.test("findPermissiveOverlaps() counts a public policy for every role and ignores restrictive ones", () => {
  const policies = [
    policy({ name: "a", roles: ["public"], command: "select" }),
    policy({ name: "b", roles: ["anon"], command: "select" }),
    policy({ name: "c", roles: ["anon"], command: "select", permissive: false }),
  ];
  assert.deepEqual(findPermissiveOverlaps(policies, ["anon", "authenticated"]).map((o) => o.appliesTo), [
    [{ role: "anon", command: "select" }],
  ]);
});

const index = (overrides: Partial<IndexLead>): IndexLead => ({
  schema: "public",
  table: "robots",
  name: "robots_user_id_name_key",
  leadingColumn: "user_id",
  partial: false,
  valid: true,
  ...overrides,
});

Deno.test("findUnindexedPolicyColumns() passes over a column an index leads on, naming the index", () => {
  const { columns, rejected } = findUnindexedPolicyColumns(referencePolicies, [index({})]);
  assert.deepEqual(columns, [{
    schema: "public",
    table: "robot_messages",
    column: "user_id",
    policies: ["owners manage their messages"],
  }]);
  assert.deepEqual(rejected, [{
    rule: "rls.unindexed-policy-column",
    subject: "column:public.robots.user_id",
    reason: "index robots_user_id_name_key leads on user_id",
  }]);
});

Deno.test("findUnindexedPolicyColumns() does not count partial, invalid or expression indexes", () => {
  const indexes = [
    index({ name: "partial", partial: true }),
    index({ name: "invalid", valid: false }),
    index({ name: "expression", leadingColumn: null }),
  ];
  const { columns } = findUnindexedPolicyColumns([referencePolicies[0]], indexes);
  assert.deepEqual(columns.map((c) => c.column), ["user_id"]);
});

Deno.test("mergedSelectPolicySql() replaces the overlapping policies by one whose USING ORs theirs", () => {
  const [overlap] = findPermissiveOverlaps(referencePolicies, ["anon", "authenticated"]);
  assert.equal(
    mergedSelectPolicySql(overlap, referencePolicies, "authenticated"),
    'drop policy "owners manage their robots" on "public"."robots";\n' +
      'drop policy "anyone reads public robots" on "public"."robots";\n' +
      'create policy "merged: anyone reads public robots | owners manage their robots" on "public"."robots" ' +
      'as permissive for select to "authenticated" ' +
      "using (((auth.uid() = user_id)) or (((is_public = true) AND (deleted_at IS NULL))))",
  );
});

Deno.test("mergedSelectPolicySql() gives null when a policy has no USING", () => {
  const policies = [
    policy({ name: "a", command: "insert", using: null }),
    policy({ name: "b", command: "all" }),
  ];
  const overlap = { schema: "public", table: "robots", policies: ["a", "b"], appliesTo: [] };
  assert.equal(mergedSelectPolicySql(overlap, policies, "authenticated"), null);
});
