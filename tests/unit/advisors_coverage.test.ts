import assert from "node:assert/strict";
import { coverLints } from "../../bench/harness/advisors_coverage.ts";

const fkLint = {
  name: "unindexed_foreign_keys",
  metadata: { schema: "public", name: "robot_messages" },
};

Deno.test("coverLints() finds a lint among the findings of the same rule on the same table", () => {
  const [coverage] = coverLints([fkLint], [{
    rule: "index.unindexed-foreign-key",
    subject: "foreign-key:public.robot_messages.robot_messages_robot_id_fkey",
    title: "Foreign key robot_messages_robot_id_fkey has no index",
  }], []);
  assert.equal(coverage.outcome, "found");
  assert.equal(coverage.detail, "Foreign key robot_messages_robot_id_fkey has no index");
});

Deno.test("coverLints() takes a rejection of the same rule and table as the explanation", () => {
  const [coverage] = coverLints([fkLint], [], [{
    rule: "index.unindexed-foreign-key",
    subject: "foreign-key:public.robot_messages.robot_messages_robot_id_fkey",
    reason: "no delete or key update on public.robots in the window",
  }]);
  assert.deepEqual(
    { outcome: coverage.outcome, detail: coverage.detail },
    { outcome: "explained", detail: "no delete or key update on public.robots in the window" },
  );
});

Deno.test("coverLints() does not take a finding on a table whose name only starts the same", () => {
  const [coverage] = coverLints([{
    name: "auth_rls_initplan",
    metadata: { schema: "public", name: "robots" },
  }], [{
    rule: "rls.per-row-call",
    subject: "policy:public.robots_archive.owner reads",
    title: "…",
  }], []);
  assert.equal(coverage.outcome, "missing");
  assert.match(coverage.detail, /no rls\.per-row-call finding or rejection names it/);
});

Deno.test("coverLints() says when no suite rule covers a lint", () => {
  const [coverage] = coverLints(
    [{ name: "some_new_lint", metadata: { schema: "public", name: "robots" } }],
    [],
    [],
  );
  assert.deepEqual({ rule: coverage.rule, outcome: coverage.outcome }, { rule: null, outcome: "missing" });
});

Deno.test("coverLints() finds a lint whose table the subject names before a parenthesis", () => {
  const [coverage] = coverLints(
    [{ name: "multiple_permissive_policies", metadata: { schema: "public", name: "robots" } }],
    [{
      rule: "rls.multiple-permissive-policies",
      subject: "policies:public.robots(owners read,anyone reads public)",
      title: "2 permissive policies on public.robots apply to authenticated select",
    }],
    [],
  );
  assert.equal(coverage.outcome, "found");
});

Deno.test("coverLints() matches an unused_index lint by the index its detail names, not by its table", () => {
  const lint = {
    name: "unused_index",
    detail: "Index `idx_robots_name_trgm` on table `public.robots` has not been used",
    metadata: { schema: "public", name: "robots" },
  };
  const finding = (name: string) => ({
    rule: "index.unused",
    subject: `index:public.${name}`,
    title: `Index public.${name} was not used in 1.2 minutes`,
  });
  const [other] = coverLints([lint], [finding("idx_robots_name")], []);
  assert.equal(other.outcome, "missing");
  const [same] = coverLints([lint], [finding("idx_robots_name"), finding("idx_robots_name_trgm")], []);
  assert.deepEqual({ table: same.table, outcome: same.outcome, detail: same.detail }, {
    table: "public.robots (idx_robots_name_trgm)",
    outcome: "found",
    detail: "Index public.idx_robots_name_trgm was not used in 1.2 minutes",
  });
});

Deno.test("coverLints() matches a duplicate_index lint by any index of its set", () => {
  const [coverage] = coverLints(
    [{
      name: "duplicate_index",
      detail: "Table `public.robots` has identical indexes {idx_a,idx_b}. Drop all except one of them",
      metadata: { schema: "public", name: "robots" },
    }],
    [{ rule: "index.duplicate", subject: "index:public.idx_b", title: "idx_b repeats idx_a" }],
    [],
  );
  assert.equal(coverage.outcome, "found");
});

Deno.test("coverLints() matches a policy lint by its table even when its detail has braces", () => {
  const [coverage] = coverLints([{
    name: "multiple_permissive_policies",
    detail: "Table `public.robots` has multiple permissive policies for role `authenticated` for action " +
      '`SELECT`. Policies include `{"anyone reads public robots","owners manage their robots"}`',
    metadata: { schema: "public", name: "robots" },
  }], [{
    rule: "rls.multiple-permissive-policies",
    subject: "policies:public.robots(anyone reads public robots,owners manage their robots)",
    title: "2 permissive policies on public.robots apply to authenticated select",
  }], []);
  assert.deepEqual({ table: coverage.table, outcome: coverage.outcome }, {
    table: "public.robots",
    outcome: "found",
  });
});

Deno.test("coverLints() explains a lint on a schema the analysis leaves out", () => {
  const [coverage] = coverLints(
    [{
      name: "unused_index",
      detail: "Index `warm_pings_planned_idx` on table `optimizer.warm_pings` has not been used",
      metadata: { schema: "optimizer", name: "warm_pings" },
    }],
    [],
    [],
    ["optimizer"],
  );
  assert.deepEqual({ outcome: coverage.outcome, detail: coverage.detail }, {
    outcome: "explained",
    detail: "schema optimizer is left out of the analysis (excludedSchemas of the database health options)",
  });
});
