import assert from "node:assert/strict";
import { concurrentBuild, defaultConfig, patchConfig, planApply } from "../../shared/mod.ts";

Deno.test("planApply() takes one named create index concurrently, with the name as Postgres stores it", () => {
  assert.deepEqual(
    planApply({
      kind: "sql",
      sql: 'CREATE UNIQUE INDEX CONCURRENTLY "Robots_Name" ON public.robots USING btree (user_id, name);',
      rollback: "drop index concurrently public.robots_name",
    }),
    {
      kind: "index",
      statement:
        'CREATE UNIQUE INDEX CONCURRENTLY "Robots_Name" ON public.robots USING btree (user_id, name)',
      indexName: "Robots_Name",
      table: "public.robots",
    },
  );
  const plan = planApply({
    kind: "sql",
    sql: "create index concurrently Msg_Idx on robot_messages (robot_id)",
    rollback: "x",
  });
  assert.equal(plan.kind === "index" && plan.indexName, "msg_idx");
});

Deno.test("planApply() takes one concurrent drop of one index", () => {
  assert.deepEqual(
    planApply({
      kind: "sql",
      sql: 'drop index concurrently if exists public."Idx_Robots";',
      rollback: "create index concurrently x on public.robots (user_id)",
    }),
    {
      kind: "drop-index",
      statement: 'drop index concurrently if exists public."Idx_Robots"',
      index: 'public."Idx_Robots"',
    },
  );
});

Deno.test("planApply() refuses SQL other than a named concurrent index build or drop", () => {
  for (
    const sql of [
      "create index robots_idx on public.robots (user_id)",
      "create index concurrently on public.robots (user_id)",
      "drop table public.robots",
      "-- create index concurrently i on t (a)\ndrop table t",
      "drop index public.robots_idx",
      "drop index concurrently robots_idx",
      "drop index concurrently public.a_idx, public.b_idx",
      "drop index concurrently public.a_idx cascade",
      "drop index concurrently public.a_idx; drop table public.robots",
    ]
  ) {
    const plan = planApply({ kind: "sql", sql, rollback: "select 1" });
    assert.equal(plan.kind, "refused", sql);
    assert.match(plan.kind === "refused" ? plan.reason : "", /create index concurrently/);
  }
});

Deno.test("concurrentBuild() turns a plain index's definition into a concurrent build, and nothing else", () => {
  assert.equal(
    concurrentBuild(
      "CREATE INDEX idx_robots_name_trgm ON public.robots USING gin (name extensions.gin_trgm_ops)",
    ),
    "create index concurrently idx_robots_name_trgm ON public.robots USING gin (name extensions.gin_trgm_ops)",
  );
  assert.equal(concurrentBuild("CREATE UNIQUE INDEX robots_pkey ON public.robots USING btree (id)"), null);
});

Deno.test("planApply() refuses guidance: it is for a person", () => {
  const plan = planApply({ kind: "guidance", text: "use the transaction pooler" });
  assert.equal(plan.kind, "refused");
  assert.match(plan.kind === "refused" ? plan.reason : "", /guidance for a person/);
});

Deno.test("patchConfig() merges a patch and returns the patch that restores the replaced values", () => {
  const patched = patchConfig(defaultConfig, { intervals: { recommendationsMinutes: 15 } });
  assert.ok("config" in patched);
  assert.equal(patched.config.intervals.recommendationsMinutes, 15);
  assert.equal(patched.config.intervals.snapshotMinutes, defaultConfig.intervals.snapshotMinutes);
  assert.deepEqual(patched.rollback, { intervals: { recommendationsMinutes: 60 } });
});

Deno.test("patchConfig() names the setting a patch gets wrong", () => {
  const patched = patchConfig(defaultConfig, { intervals: { recommendationsMinutes: 0 } });
  assert.ok("issues" in patched);
  assert.match(patched.issues[0], /^intervals\.recommendationsMinutes: /);
});
