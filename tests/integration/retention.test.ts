/**
 * optimizer.apply_retention: event partitions older than rawEventsDays go, current and future ones stay (and
 * are created), old rollups and runs are deleted, and the settings are read from optimizer.config.
 */
import assert from "node:assert/strict";
import { event, ingest, uniqueTarget, withSql } from "../support/metric_store_db.ts";
import type postgres from "postgres";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

function partitionName(date: Date): string {
  return `metric_events_p${date.toISOString().slice(0, 10).replaceAll("-", "")}`;
}

async function partitionExists(sql: postgres.Sql | postgres.TransactionSql, name: string): Promise<boolean> {
  const [{ found }] = await sql`select to_regclass(${"optimizer." + name}) is not null as found`;
  return found;
}

function utcDay(offsetDays: number): Date {
  const today = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z");
  return new Date(today.getTime() + offsetDays * DAY_MS);
}

Deno.test("retention drops event partitions older than rawEventsDays and keeps the others", async () => {
  await withSql(async (sql) => {
    const [{ raw_days }] = await sql`select optimizer.retention_days('rawEventsDays', 14) as raw_days`;
    const oldDay = utcDay(-raw_days - 3);
    const oldPartition = partitionName(oldDay);
    await sql.unsafe(
      `create table if not exists optimizer.${oldPartition} partition of optimizer.metric_events
      for values from ('${oldDay.toISOString()}') to ('${
        new Date(oldDay.getTime() + DAY_MS).toISOString()
      }')`,
    );
    await sql.unsafe(`alter table optimizer.${oldPartition} enable row level security`);
    await ingest(sql, [
      event(uniqueTarget("old"), { occurred_at: new Date(oldDay.getTime() + HOUR_MS).toISOString() }),
    ]);

    const [{ summary }] = await sql`select optimizer.apply_retention() as summary`;
    assert.ok(summary.partitions_dropped.includes(oldPartition), JSON.stringify(summary));
    assert.equal(await partitionExists(sql, oldPartition), false);
    for (const offset of [-raw_days, -1, 0, 1, 7]) {
      assert.equal(await partitionExists(sql, partitionName(utcDay(offset))), true, `day ${offset} kept`);
    }
  });
});

Deno.test("retention deletes rollups and runs older than their settings, keeps newer ones", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("retention");
    const [{ rollup_days, run_days }] = await sql`
      select optimizer.retention_days('rollupDays', 90) as rollup_days, optimizer.retention_days('runDays', 30) as run_days`;
    const oldMinute = new Date(Math.floor((Date.now() - (rollup_days + 1) * DAY_MS) / MINUTE_MS) * MINUTE_MS);
    const recentMinute = new Date(Math.floor((Date.now() - DAY_MS) / MINUTE_MS) * MINUTE_MS);
    await sql`
      insert into optimizer.metric_rollups (minute, system, target, kind, count)
      values (${oldMinute}, 'app', ${target}, 'old', 1), (${recentMinute}, 'app', ${target}, 'recent', 1)`;
    const [oldRun] = await sql`
      insert into optimizer.runs (module, trigger, status, started_at, summary)
      values ('monitoring', 'manual', 'succeeded', now() - make_interval(days => ${run_days} + 1), ${
      sql.json({ target })
    })
      returning id`;
    try {
      await sql`select optimizer.apply_retention()`;
      const kept =
        await sql`select kind from optimizer.metric_rollups where target = ${target} order by kind`;
      assert.deepEqual(kept.map((r) => r.kind), ["recent"]);
      const runs = await sql`select id from optimizer.runs where id = ${oldRun.id}`;
      assert.equal(runs.length, 0);
    } finally {
      await sql`delete from optimizer.metric_rollups where target = ${target}`;
    }
  });
});

Deno.test("retention keeps 5-minute rows rollupDays and hour rows hourlyRollupDays", async () => {
  await withSql(async (sql) => {
    const target = uniqueTarget("retention-tiers");
    const [{ rollup_days, hourly_days }] = await sql`
      select optimizer.retention_days('rollupDays', 90) as rollup_days,
             optimizer.retention_days('hourlyRollupDays', 400) as hourly_days`;
    const ago = (days: number, periodMs: number) =>
      new Date(Math.floor((Date.now() - days * DAY_MS) / periodMs) * periodMs);
    await sql`
      insert into optimizer.metric_rollups_5min (minute, system, target, kind, count)
      values (${ago(rollup_days + 1, 300_000)}, 'app', ${target}, 'old', 1),
             (${ago(1, 300_000)}, 'app', ${target}, 'recent', 1)`;
    await sql`
      insert into optimizer.metric_rollups_hourly (hour, system, target, kind, count)
      values (${ago(hourly_days + 1, 3_600_000)}, 'app', ${target}, 'old', 1),
             (${ago(rollup_days + 1, 3_600_000)}, 'app', ${target}, 'past-minutes', 1)`;
    try {
      await sql`select optimizer.apply_retention()`;
      const kept = await sql`
        select '5min:' || kind as row from optimizer.metric_rollups_5min where target = ${target}
        union all
        select 'hour:' || kind from optimizer.metric_rollups_hourly where target = ${target}
        order by 1`;
      assert.deepEqual(kept.map((r) => r.row), ["5min:recent", "hour:past-minutes"]);
    } finally {
      await sql`delete from optimizer.metric_rollups_5min where target = ${target}`;
      await sql`delete from optimizer.metric_rollups_hourly where target = ${target}`;
    }
  });
});

Deno.test("retention reads rawEventsDays from optimizer.config", async () => {
  await withSql(async (sql) => {
    // inside a transaction that is rolled back: the config change and the drops never become visible
    const rolledBack = new Error("roll back");
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx`update optimizer.config set value = jsonb_set(value, '{retention}',
          coalesce(value -> 'retention', '{}') || '{"rawEventsDays": 2}') where id`;
        await tx`select optimizer.apply_retention()`;
        assert.equal(await partitionExists(tx, partitionName(utcDay(-3))), false, "day -3 dropped");
        assert.equal(await partitionExists(tx, partitionName(utcDay(-2))), true, "day -2 kept");
        throw rolledBack;
      }),
      (error) => error === rolledBack,
    );
    assert.equal(await partitionExists(sql, partitionName(utcDay(-3))), true, "the rollback restored day -3");
  });
});

Deno.test("PUT status/config with a larger rawEventsDays creates the older partitions at once", async () => {
  const { stackEnv } = await import("../support/env.ts");
  const env = stackEnv();
  const putConfig = async (config: unknown) => {
    const response = await fetch(`${env.url}/functions/v1/status/config`, {
      method: "PUT",
      headers: { apikey: env.secretKey, "content-type": "application/json" },
      body: JSON.stringify(config),
    });
    assert.equal(response.status, 200, await response.text());
  };
  await withSql(async (sql) => {
    const [{ previous }] = await sql`select value as previous from optimizer.config where id`;
    const [{ raw_days }] = await sql`select optimizer.retention_days('rawEventsDays', 14) as raw_days`;
    const olderDay = utcDay(-raw_days - 5);
    // a partition from an earlier run of this test would hide the effect: it is ours to drop
    await sql.unsafe(`drop table if exists optimizer.${partitionName(olderDay)}`);
    try {
      await putConfig({ ...previous, retention: { ...previous.retention, rawEventsDays: raw_days + 6 } });
      assert.equal(await partitionExists(sql, partitionName(olderDay)), true);
      const at = new Date(olderDay.getTime() + 3600_000).toISOString();
      assert.equal(await ingest(sql, [event(uniqueTarget("older"), { occurred_at: at })]), 1);
    } finally {
      await sql`update optimizer.config set value = ${sql.json(previous)} where id`;
    }
  });
});
