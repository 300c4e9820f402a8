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
