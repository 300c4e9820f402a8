import assert from "node:assert/strict";
import { findCalls, identityColumns, wrapCalls } from "../../shared/rls/policy_expression.ts";

// The expressions below are what pg_get_expr prints (Postgres 15, empty search_path) for the policies noted.

Deno.test("findCalls() sees auth.uid() in `auth.uid() = user_id` as a per-row call", () => {
  const [call] = findCalls("(auth.uid() = user_id)");
  assert.deepEqual(
    { schema: call.schema, function: call.function, text: call.text, once: call.evaluatedOnce },
    { schema: "auth", function: "uid", text: "auth.uid()", once: false },
  );
});

Deno.test("findCalls() sees `(select auth.uid()) = user_id` as evaluated once", () => {
  const [call] = findCalls("(( SELECT auth.uid() AS uid) = user_id)");
  assert.equal(call.evaluatedOnce, true);
});

Deno.test("findCalls() sees `user_id in (select auth.uid())` as evaluated once", () => {
  assert.equal(findCalls("(user_id IN ( SELECT auth.uid() AS uid))")[0].evaluatedOnce, true);
});

Deno.test("findCalls() sees a wrapped expression around auth.jwt() as evaluated once", () => {
  const calls = findCalls("(( SELECT (auth.jwt() ->> 'role'::text) AS text) = 'admin'::text)");
  assert.equal(calls[0].evaluatedOnce, true);
});

Deno.test("findCalls() sees auth.jwt() ->> 'sub' and current_setting(…)::jsonb as per-row calls", () => {
  const calls = findCalls(
    "(((auth.jwt() ->> 'sub'::text) = owner) AND " +
      "(((current_setting('request.jwt.claims'::text, true))::jsonb ->> 'team'::text) = team))",
  );
  assert.deepEqual(calls.map((c) => [c.schema, c.function, c.evaluatedOnce, c.argumentColumns]), [
    ["auth", "jwt", false, []],
    ["pg_catalog", "current_setting", false, []],
  ]);
});

Deno.test("findCalls() sees a call inside a sub-select with FROM as per row of that sub-select", () => {
  const [call] = findCalls(
    "(EXISTS ( SELECT 1 FROM public.members m WHERE ((m.team_id = t.team_id) AND (m.user_id = auth.uid()))))",
  );
  assert.equal(call.evaluatedOnce, false);
});

Deno.test("findCalls() records the row's columns a call reads", () => {
  const [call] = findCalls("public.is_member(team_id, 'admin'::text)");
  assert.deepEqual(call.argumentColumns, ["team_id"]);
});

Deno.test("findCalls() does not take type names after :: for calls or columns", () => {
  const calls = findCalls("(((team)::character varying(3))::text = public.f('x'::timestamp with time zone))");
  assert.deepEqual(calls.map((c) => [c.text, c.argumentColumns]), [[
    "public.f('x'::timestamp with time zone)",
    [],
  ]]);
});

Deno.test("wrapCalls() wraps each chosen call in (select …) and leaves the rest as printed", () => {
  const expression = "((auth.uid() = user_id) OR (is_public AND (deleted_at IS NULL)))";
  assert.equal(
    wrapCalls(expression, findCalls(expression)),
    "(((select auth.uid()) = user_id) OR (is_public AND (deleted_at IS NULL)))",
  );
});

Deno.test("identityColumns() finds the columns compared with a call or a sub-select", () => {
  assert.deepEqual(identityColumns("(auth.uid() = user_id)"), ["user_id"]);
  assert.deepEqual(identityColumns("(owner_id = ( SELECT auth.uid() AS uid))"), ["owner_id"]);
  assert.deepEqual(identityColumns("(team_id IN ( SELECT m.team_id FROM public.members m))"), ["team_id"]);
  assert.deepEqual(
    identityColumns("(((current_setting('app.org'::text, true))::uuid = org_id) AND (x = 1))"),
    ["org_id"],
  );
});

Deno.test("identityColumns() leaves out columns compared with constants", () => {
  assert.deepEqual(identityColumns("((is_public = true) AND (deleted_at IS NULL))"), []);
});
