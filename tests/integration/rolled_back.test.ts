/**
 * inRolledBackTransaction() and inRolledBackSavepoint() against the stack's Postgres: what they return, and
 * that nothing they did is left.
 */
import assert from "node:assert/strict";
import { inRolledBackSavepoint, inRolledBackTransaction } from "../../shared/db/rolled_back.ts";
import { withSql } from "../support/metric_store_db.ts";

const limits = { lockTimeoutMs: 1_000, statementTimeoutMs: 5_000 };
const tableName = () => `public.rolled_back_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

Deno.test("inRolledBackTransaction() returns the body's result and leaves nothing it created", async () => {
  await withSql(async (sql) => {
    const table = tableName();
    const result = await inRolledBackTransaction(sql, limits, async (tx) => {
      await tx.unsafe(`create table ${table} (id int)`);
      const [{ timeout }] = await tx`select current_setting('lock_timeout') as timeout`;
      return timeout;
    });
    assert.equal(result, "1s");
    const [{ exists }] = await sql`select to_regclass(${table}) is not null as exists`;
    assert.equal(exists, false);
  });
});

Deno.test("inRolledBackTransaction() throws the body's error", async () => {
  await withSql(async (sql) => {
    await assert.rejects(
      inRolledBackTransaction(sql, limits, async (tx) => {
        await tx`select 1`;
        throw new Error("the body failed");
      }),
      /the body failed/,
    );
  });
});

Deno.test("inRolledBackSavepoint() rolls back its own work only and returns its result", async () => {
  await withSql(async (sql) => {
    const outer = tableName();
    const inner = tableName();
    const seen = await inRolledBackTransaction(sql, limits, async (tx) => {
      await tx.unsafe(`create table ${outer} (id int)`);
      const fromSavepoint = await inRolledBackSavepoint(tx, async (sp) => {
        await sp.unsafe(`create table ${inner} (id int)`);
        return "inner result";
      });
      const [row] = await tx`
        select to_regclass(${outer}) is not null as outer_exists, to_regclass(${inner}) is not null as inner_exists`;
      return { fromSavepoint, outer: row.outer_exists, inner: row.inner_exists };
    });
    assert.deepEqual(seen, { fromSavepoint: "inner result", outer: true, inner: false });
  });
});
