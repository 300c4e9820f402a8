/** The module list as the database holds it: what optimizer.runs accepts and what status reports. */
import assert from "node:assert/strict";
import { moduleNames } from "../../shared/config/config.ts";
import { withSql } from "../support/metric_store_db.ts";

Deno.test("optimizer.runs accepts a run of every module of the config and refuses any other", async () => {
  await withSql(async (sql) => {
    const [{ names }] = await sql`select optimizer.module_names() as names`;
    assert.deepEqual(names, moduleNames);
    await sql.begin(async (tx) => {
      for (const module of moduleNames) {
        await tx`insert into optimizer.runs (module, trigger, status) values (${module}, 'manual', 'skipped')`;
      }
      await tx`savepoint before_unknown`;
      await assert.rejects(
        tx`insert into optimizer.runs (module, trigger, status) values ('teleporter', 'manual', 'skipped')`,
        /runs_module_check/,
      );
      await tx`rollback to savepoint before_unknown`;
      const [{ overview }] = await tx`select optimizer.status_overview() as overview`;
      assert.deepEqual(Object.keys(overview.modules).sort(), [...moduleNames].sort());
      throw new Rollback();
    }).catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
  });
});

/** Thrown to end the transaction without keeping its rows. */
class Rollback extends Error {}
