/**
 * The reference app loaded into the stack's database: counts, index sets of the two variants, row level
 * security, and snapshot/restore. Each test loads the small scale afresh (about a second) and the last one
 * drops the app, so no other test sees its tables.
 */
import assert from "node:assert/strict";
import { type Sql, withSql } from "../support/metric_store_db.ts";
import {
  loadReferenceData,
  restoreReferenceData,
  snapshotReferenceData,
} from "../../bench/reference_app/data/load.ts";
import { planReferenceData } from "../../bench/reference_app/data/generate.ts";
import {
  applyShippedIndexes,
  dropReferenceApp,
  dropShippedIndexes,
  listNonConstraintIndexes,
  referenceUserEmailDomain,
  shippedIndexNames,
} from "../../bench/reference_app/schema/mod.ts";

const options = { seed: 7, scale: "small" as const, now: "2025-03-04T12:00:00.000Z" };

async function tableCounts(sql: Sql) {
  const [row] = await sql`
    select (select count(*) from auth.users where email like ${
    "%@" + referenceUserEmailDomain
  })::int as users,
      (select count(*) from public.robots)::int as robots,
      (select count(*) from public.robot_messages)::int as messages,
      (select count(*) from public.market_candles)::int as candles`;
  return { users: row.users, robots: row.robots, messages: row.messages, candles: row.candles };
}

Deno.test("the pk-only variant loads the generator's counts and has no index beyond its constraints", async () => {
  await withSql(async (sql) => {
    const result = await loadReferenceData(sql, { ...options, variant: "pk-only" });
    const expected = planReferenceData(options).counts;
    assert.deepEqual(result.counts, expected);
    assert.deepEqual(await tableCounts(sql), expected);
    assert.deepEqual(await listNonConstraintIndexes(sql), []);
    const constraintIndexes = await sql`
      select indexname from pg_catalog.pg_indexes
      where schemaname = 'public' and tablename in ('robots', 'robot_messages', 'market_candles')
      order by indexname`;
    assert.deepEqual(constraintIndexes.map((row) => row.indexname), [
      "market_candles_pkey",
      "robot_messages_pkey",
      "robots_pkey",
      "robots_user_id_name_key",
    ]);
    const [{ analyzed }] = await sql`
      select count(*)::int as analyzed from pg_catalog.pg_stat_user_tables
      where schemaname = 'public' and relname in ('robots', 'robot_messages', 'market_candles')
        and last_analyze is not null`;
    assert.equal(analyzed, 3, "the loader analyzes every table");
  });
});

Deno.test("the shipped variant has exactly the shipped indexes, and dropping them returns to pk-only", async () => {
  await withSql(async (sql) => {
    await loadReferenceData(sql, { ...options, variant: "shipped-indexes" });
    const names = async () => (await listNonConstraintIndexes(sql)).map((index) => index.name);
    assert.deepEqual(await names(), [...shippedIndexNames]);
    await applyShippedIndexes(sql);
    assert.deepEqual(await names(), [...shippedIndexNames], "applying twice changes nothing");
    await dropShippedIndexes(sql);
    await dropShippedIndexes(sql);
    assert.deepEqual(await names(), []);
  });
});

Deno.test("row level security: owners see their robots and messages, anyone the public ones and candles", async () => {
  await withSql(async (sql) => {
    await loadReferenceData(sql, options);
    const [owner] =
      await sql`select user_id from public.robots group by user_id order by count(*) desc limit 1`;
    const [expected] = await sql`
      select count(*) filter (where user_id = ${owner.user_id} or (is_public and deleted_at is null))::int
          as visible,
        count(*) filter (where is_public and deleted_at is null)::int as public,
        (select count(*)::int from public.robot_messages where user_id = ${owner.user_id}) as messages
      from public.robots`;
    const seen = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${
        JSON.stringify({ sub: owner.user_id, role: "authenticated" })
      }, true)`;
      await tx`set local role authenticated`;
      const [row] = await tx`
        select (select count(*)::int from public.robots) as visible,
          (select count(*)::int from public.robot_messages) as messages`;
      await tx`set local role anon`;
      const [anon] = await tx`
        select (select count(*)::int from public.robots) as public,
          (select count(*)::int from public.market_candles) as candles,
          (select count(*)::int from public.robot_messages) as messages`;
      return { visible: row.visible, messages: row.messages, anon };
    });
    assert.equal(seen.visible, expected.visible);
    assert.equal(seen.messages, expected.messages);
    assert.equal(seen.anon.public, expected.public);
    assert.equal(seen.anon.candles, planReferenceData(options).counts.candles);
    assert.equal(seen.anon.messages, 0);
  });
});

Deno.test("restore brings back modified and deleted rows and removes inserted ones, keeping the indexes", async () => {
  await withSql(async (sql) => {
    await loadReferenceData(sql, { ...options, variant: "shipped-indexes" });
    await sql`create index if not exists test_extra_messages_robot on public.robot_messages (robot_id)`;
    const snapshot = await snapshotReferenceData(sql);
    assert.equal(snapshot.robots, planReferenceData(options).counts.robots);
    const fingerprint = async () => {
      const [row] = await sql`
        select md5(string_agg(r::text, '|' order by r.id)) as robots,
          (select md5(string_agg(m::text, '|' order by m.id)) from public.robot_messages m) as messages
        from public.robots r`;
      return row;
    };
    const before = await fingerprint();
    const indexesBefore = await listNonConstraintIndexes(sql);
    const [changed, removed] =
      await sql`select id, user_id, name from public.robots order by created_at limit 2`;
    await sql`update public.robots set name = 'edited', chat_history = '[]', updated_at = now() where id = ${changed.id}`;
    await sql`delete from public.robots where id = ${removed.id}`;
    const [added] = await sql`
      insert into public.robots (user_id, name, code) values (${changed.user_id}, 'brand new', 'void OnTick() {}')
      returning id`;
    await sql`
      insert into public.robot_messages (robot_id, user_id, role, content)
      values (${added.id}, ${changed.user_id}, 'user', 'hello')`;
    assert.notDeepEqual(await fingerprint(), before);

    await restoreReferenceData(sql);
    assert.deepEqual(await fingerprint(), before);
    assert.deepEqual(await listNonConstraintIndexes(sql), indexesBefore);
    const [{ next_ok }] = await sql`
      with inserted as (
        insert into public.robot_messages (robot_id, user_id, role, content)
        values (${changed.id}, ${changed.user_id}, 'user', 'after restore') returning id
      )
      select (select id from inserted) > (select max(id) from refapp_pristine.robot_messages) as next_ok`;
    assert.equal(next_ok, true, "new messages get ids after the restored ones");
  });
});

Deno.test("restore without a snapshot says what to do; dropReferenceApp leaves nothing behind", async () => {
  await withSql(async (sql) => {
    await dropReferenceApp(sql);
    await assert.rejects(() => restoreReferenceData(sql), /call snapshotReferenceData\(\) after loading/);
    const [row] = await sql`
      select to_regclass('public.robots') as robots, to_regclass('public.robot_messages') as messages,
        to_regclass('public.market_candles') as candles, to_regtype('public.strategy_type') as strategy_type,
        to_regnamespace('refapp_pristine') as pristine,
        (select count(*)::int from auth.users where email like ${"%@" + referenceUserEmailDomain}) as users`;
    assert.deepEqual(
      { ...row },
      { robots: null, messages: null, candles: null, strategy_type: null, pristine: null, users: 0 },
    );
  });
});
