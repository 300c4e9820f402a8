import assert from "node:assert/strict";
import { rewriteForPrepare } from "../../shared/advisor/rewrite.ts";

Deno.test("rewriteForPrepare() turns a typed literal `date $1` into `$1::date`", () => {
  const r = rewriteForPrepare("select * from t where day >= date $1");
  assert.equal(r.text, "select * from t where day >= $1::date");
  assert.equal(r.parameters, 1);
  assert.deepEqual(r.rewrites, ["date $n → $n::date"]);
});

Deno.test("rewriteForPrepare() turns `interval $2` into `$2::interval`", () => {
  const r = rewriteForPrepare("select * from t where a = $1 and created_at > now() - interval $2");
  assert.equal(r.text, "select * from t where a = $1 and created_at > now() - $2::interval");
  assert.equal(r.parameters, 2);
});

Deno.test("rewriteForPrepare() keeps the type name of `timestamp with time zone $1`", () => {
  const r = rewriteForPrepare("select * from t where at < timestamp with time zone $1");
  assert.equal(r.text, "select * from t where at < $1::timestamp with time zone");
});

Deno.test("rewriteForPrepare() turns `extract($1 from x)` into `date_part($1::text, x)`", () => {
  const r = rewriteForPrepare("select extract($1 from created_at) from t where a = $2");
  assert.equal(r.text, "select date_part($1::text, created_at) from t where a = $2");
  assert.deepEqual(r.rewrites, ["extract($n from …) → date_part($n::text, …)"]);
});

Deno.test("rewriteForPrepare() makes `$1 + $2` one parameter and numbers the rest without gaps", () => {
  const r = rewriteForPrepare("select * from t where n > $1 + $2 and a = $3");
  assert.equal(r.text, "select * from t where n > $1 and a = $2");
  assert.equal(r.parameters, 2);
  assert.deepEqual(r.rewrites, [
    "an expression of parameters only → one parameter",
    "parameters renumbered from $1",
  ]);
});

Deno.test("rewriteForPrepare() makes a concatenation of parameters (`'%' || $1 || '%'`) one parameter", () => {
  const r = rewriteForPrepare("select id from t where name ilike $2 || $1 || $3 limit $4");
  assert.equal(r.text, "select id from t where name ilike $1 limit $2");
  assert.equal(r.parameters, 2);
});

Deno.test("rewriteForPrepare() leaves a typed parameter in an expression alone", () => {
  const r = rewriteForPrepare("select * from t where n > $1 + $2::int");
  assert.equal(r.text, "select * from t where n > $1 + $2::int");
  assert.deepEqual(r.rewrites, []);
});

Deno.test("rewriteForPrepare() does not rewrite inside quoted text or identifiers", () => {
  const r = rewriteForPrepare(`select 'date $1' as "interval $2" from t where d = date $1`);
  assert.equal(r.text, `select 'date $1' as "interval $2" from t where d = $1::date`);
});

Deno.test("rewriteForPrepare() leaves a statement that needs no rewrite as it was", () => {
  const text = "select * from robots where user_id = $1 order by created_at desc limit $2";
  assert.deepEqual(rewriteForPrepare(text), { text, parameters: 2, rewrites: [] });
});
