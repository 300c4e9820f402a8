import assert from "node:assert/strict";
import { writtenTables } from "../../shared/mod.ts";

Deno.test("writtenTables() names the table of an insert, an update and a delete", () => {
  assert.deepEqual(writtenTables("insert into public.orders (id, total) values ($1, $2)"), ["public.orders"]);
  assert.deepEqual(writtenTables("UPDATE orders SET total = $1 WHERE id = $2"), ["orders"]);
  assert.deepEqual(writtenTables("delete from only public.orders where id = $1"), ["public.orders"]);
});

Deno.test("writtenTables() finds the write PostgREST wraps in a CTE, with quoted names", () => {
  const query = 'WITH pgrst_source AS (INSERT INTO "public"."robot_messages"("body", "robot_id") SELECT ' +
    'pgrst_body."body", pgrst_body."robot_id" FROM (SELECT $1 AS json_data) pgrst_payload RETURNING ' +
    '"public"."robot_messages".*) SELECT $2::bigint AS total_result_set FROM pgrst_source';
  assert.deepEqual(writtenTables(query), ['"public"."robot_messages"']);
});

Deno.test("writtenTables() names nothing for a read, and no table for columns that only contain update", () => {
  assert.deepEqual(writtenTables("select updated_at, last_update from public.orders where id = $1"), []);
});

Deno.test("writtenTables() gives the words after a locking update as names, which no table has", () => {
  assert.deepEqual(writtenTables("select * from jobs where id = $1 for update skip locked"), ["skip"]);
  assert.deepEqual(
    writtenTables("insert into jobs (id) values ($1) on conflict (id) do update set id = excluded.id"),
    ["jobs", "set"],
  );
});
