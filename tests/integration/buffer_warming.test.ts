/**
 * Buffer warming against the stack's Postgres (shared/buffers/prewarm_store.ts and the SQL of
 * 20261128008000_optimizer_buffer_warming.sql): recurring dips found in database snapshots, the tables their
 * intervals read from disk, residency from pg_buffercache, loads with pg_prewarm and their record, and the hit
 * ratio that followed. The snapshots are written by hand at times in 2020, so no snapshot the stack's
 * optimizer-db-snapshot job takes falls among them; each test deletes its own.
 */
import assert from "node:assert/strict";
import {
  correlationAnalyzerDefaults,
  createPrewarmStore,
  type PlannedPrewarm,
  planPrewarm,
  type Sql,
} from "../../shared/mod.ts";
import { withSql } from "../support/metric_store_db.ts";
import { cleanUp, createTable, planAt, recurringDips, snapshot } from "../support/buffer_dips_db.ts";

const { minBufferHitRatio, minBlocks, slotMinutes, minRecurrenceDays, recurrenceDays } =
  correlationAnalyzerDefaults;
const dips = { minBufferHitRatio, minBlocks, slotMinutes, minRecurrenceDays, recurrenceDays };

Deno.test("readInput() finds the recurring dip slot and the blocks each table read from disk in it", async () => {
  await withSql(async (sql) => {
    const table = await createTable(sql);
    const ids = await recurringDips(sql, table);
    try {
      const { input, report } = await createPrewarmStore(sql).readInput(
        new Date("2020-01-10T07:15:00Z"),
        dips,
        [],
      );
      assert.deepEqual(report.recurring.map((s) => [s.slot, s.dipDays]), [["07:30", [
        "2020-01-08",
        "2020-01-09",
      ]]]);
      assert.deepEqual(input.readsBySlot.get("07:30"), [{ relation: table.name, blocksRead: 3000 }]);
      const state = input.relations.get(table.name)!;
      assert.ok(state.blocks > 10, `${state.blocks} blocks`);
      assert.ok(input.sharedBufferBlocks > 0);
    } finally {
      await cleanUp(sql, table.name, ids);
    }
  });
});

Deno.test("readInput() gives each forecast statement the tables its generic plan reads", async () => {
  await withSql(async (sql) => {
    const table = await createTable(sql);
    const ids = await recurringDips(sql, table);
    // queryids no statement of the stack has: random, within a bigint
    const [reads, broken] = [1, 2].map(() =>
      String(BigInt(Math.floor(Math.random() * 2 ** 52)) * 1000n + 7n)
    );
    await sql`
      insert into optimizer.db_statement_texts (queryid, query)
      values (${reads}, ${`select body from ${table.name} where id = $1`}),
        (${broken}, 'select body from public.no_such_table_here where id = $1')`;
    try {
      const outlook = (queryid: string) => ({ queryid, recentPerMinute: 1, points: [] });
      const { input } = await createPrewarmStore(sql).readInput(planAt, dips, [
        outlook(reads),
        outlook(broken),
      ]);
      assert.deepEqual(input.statements.map((s) => [s.queryid, s.tables]), [
        [reads, [table.name]],
        [broken, null],
      ]);
      assert.equal(input.slotMinutes, slotMinutes);
    } finally {
      await sql`delete from optimizer.db_statement_texts where queryid = any(${[reads, broken]}::bigint[])`;
      await cleanUp(sql, table.name, ids);
    }
  });
});

Deno.test("readInput() leaves every statement unexplained when explaining fails, and still answers", async () => {
  await withSql(async (sql) => {
    const table = await createTable(sql);
    const ids = await recurringDips(sql, table);
    try {
      // not a queryid: the lookup of the statements' texts fails as a whole
      const { input } = await createPrewarmStore(sql).readInput(planAt, dips, [
        { queryid: "not-a-queryid", recentPerMinute: 1, points: [] },
      ]);
      assert.deepEqual(input.statements.map((s) => [s.queryid, s.tables]), [["not-a-queryid", null]]);
      assert.deepEqual(input.readsBySlot.get("07:30"), [{ relation: table.name, blocksRead: 3000 }]);
    } finally {
      await cleanUp(sql, table.name, ids);
    }
  });
});

Deno.test("a table whose blocks pg_buffercache finds in shared buffers is not loaded again", async () => {
  await withSql(async (sql) => {
    const table = await createTable(sql);
    const ids = await recurringDips(sql, table);
    try {
      await sql`select optimizer.prewarm_table(${table.relid})`;
      const { input } = await createPrewarmStore(sql).readInput(planAt, dips, []);
      const state = input.relations.get(table.name)!;
      assert.equal(state.residentBlocks, state.blocks, "every block was just loaded");
      const plan = planPrewarm(input);
      assert.deepEqual(plan.planned, []);
      assert.match(plan.rejected[0].reason, /^already resident: \d+ of \d+ blocks in shared buffers/);
    } finally {
      await cleanUp(sql, table.name, ids);
    }
  });
});

/**
 * Runs `body` with a table of its own read in recurring dips, a predictive run row, and the load the plan makes
 * for the table when its residency is left unknown (a just-written table is resident); removes them after.
 */
async function withPlannedLoad(
  body: (context: {
    sql: Sql;
    table: { name: string; relid: number };
    snapshotIds: number[];
    runId: string;
    planned: PlannedPrewarm;
    blocks: number;
  }) => Promise<void>,
) {
  await withSql(async (sql) => {
    const table = await createTable(sql);
    const snapshotIds = await recurringDips(sql, table);
    const [run] = await sql<{ id: string }[]>`
      insert into optimizer.runs (module, trigger, status) values ('predictive', 'api', 'running') returning id`;
    try {
      const { input } = await createPrewarmStore(sql).readInput(planAt, dips, []);
      const [planned] = planPrewarm({
        ...input,
        relations: new Map([...input.relations].map(([k, v]) => [k, { ...v, residentBlocks: null }])),
      }).planned;
      const blocks = input.relations.get(table.name)!.blocks;
      await body({ sql, table, snapshotIds, runId: run.id, planned, blocks });
    } finally {
      await cleanUp(sql, table.name, snapshotIds);
      await sql`delete from optimizer.runs where id = ${run.id}`;
    }
  });
}

Deno.test("load() reads the table and its indexes with pg_prewarm, once per slot occurrence, and records it", async () => {
  await withPlannedLoad(async ({ sql, table, runId, planned, blocks }) => {
    const store = createPrewarmStore(sql);
    const loaded = await store.load(runId, planned, slotMinutes, planAt);
    assert.equal(loaded.blocksLoaded, blocks, "heap and primary key index");
    await assert.rejects(() => store.load(runId, planned, slotMinutes, planAt), /loaded by a concurrent run/);
    const again = await store.readInput(planAt, dips, []);
    assert.ok(again.input.alreadyLoaded.has(`2020-01-10T07:30:00.000Z|${table.name}`));
    const [row] = await sql`
      select slot, slot_ends_at, expected_blocks_avoided, settled_at from optimizer.buffer_prewarms
      where relation = ${table.name}`;
    // 1500 blocks a day were read in the dips, but the table has fewer: at most all of them are avoided
    assert.deepEqual(
      [row.slot, row.slot_ends_at.toISOString(), Number(row.expected_blocks_avoided), row.settled_at],
      ["07:30", "2020-01-10T08:00:00.000Z", blocks, null],
    );
  });
});

Deno.test("settle() records the hit ratio over the slot once a snapshot after it exists", async () => {
  await withPlannedLoad(async ({ sql, table, snapshotIds, runId, planned }) => {
    const store = createPrewarmStore(sql);
    await store.load(runId, planned, slotMinutes, planAt);
    const after = new Date("2020-01-10T08:10:00Z");
    assert.deepEqual(await store.settle(after), [], "no snapshot after the slot yet");
    snapshotIds.push(
      await snapshot(sql, "2020-01-10T07:25:00Z", { hit: 2_000_000, read: 20_000, tableRead: 3100 }, table),
      await snapshot(sql, "2020-01-10T08:05:00Z", { hit: 2_009_900, read: 20_100, tableRead: 3150 }, table),
    );
    const [settled] = await store.settle(after);
    assert.deepEqual([settled.relation, settled.hitRatioAfter, settled.blocksReadAfter], [
      table.name,
      0.99,
      50,
    ]);
    assert.deepEqual(await store.settle(after), [], "settled once");
    const [{ overview }] = await sql`select optimizer.status_overview(${after}) as overview`;
    const shown = overview.buffer_loads.find((l: { relation: string }) => l.relation === table.name);
    assert.deepEqual(
      shown && [shown.hit_ratio_after, shown.blocks_read_after],
      [0.99, 50],
      "GET /status shows it",
    );
  });
});

Deno.test("table_residency() leaves residency unknown to a role that may not read pg_buffercache", async () => {
  await withSql(async (sql) => {
    const table = await createTable(sql);
    try {
      const rows = await sql.begin(async (tx) => {
        // the service role has no pg_monitor, whose right pg_buffercache asks for by default
        await tx`set local role service_role`;
        return await tx`select blocks, resident_blocks from optimizer.table_residency(${[
          table.relid,
        ]}::oid[])`;
      });
      assert.equal(rows.length, 1);
      assert.ok(Number(rows[0].blocks) > 10);
      assert.equal(rows[0].resident_blocks, null);
    } finally {
      await cleanUp(sql, table.name, []);
    }
  });
});
