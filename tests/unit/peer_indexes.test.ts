import assert from "node:assert/strict";
import { adviseFromCliOutput } from "../../bench/harness/peer_indexes.ts";

const columnsByTable = {
  robots: ["id", "user_id", "name", "is_active", "deleted_at", "created_at", "updated_at", "strategy_type"],
  robot_messages: ["id", "robot_id", "user_id", "created_at"],
  market_candles: ["symbol", "timeframe", "open_time"],
};

const outlier = (query: string, time = "00:00:01.5") => ({ query, total_exec_time: time });

Deno.test("adviseFromCliOutput() indexes every unindexed foreign key the advisors list", () => {
  const advice = adviseFromCliOutput({
    foreignKeys: [{ table: "robot_messages", columns: ["robot_id"] }],
    tableStats: [],
    outliers: [],
    columnsByTable,
  });
  assert.deepEqual(advice.indexes.map((i) => i.statement), [
    "create index if not exists peer_robot_messages_robot_id on public.robot_messages (robot_id)",
  ]);
});

Deno.test("adviseFromCliOutput() indexes the parameter columns and ORDER BY of slow reads on seq-scanned tables", () => {
  const advice = adviseFromCliOutput({
    foreignKeys: [],
    tableStats: [{ name: "public.robots", seq_scans: "900" }],
    outliers: [
      outlier(
        "select * from public.robots r where r.user_id = $1 and r.deleted_at is null order by updated_at desc limit $2",
      ),
    ],
    columnsByTable,
  });
  assert.deepEqual(advice.indexes.map((i) => i.statement), [
    "create index if not exists peer_robots_user_id_updated_at on public.robots (user_id, updated_at desc)",
  ]);
});

Deno.test("adviseFromCliOutput() gives the reason for every table and statement it leaves alone", () => {
  const advice = adviseFromCliOutput({
    foreignKeys: [],
    tableStats: [{ name: "public.market_candles", seq_scans: 3 }, { name: "optimizer.runs", seq_scans: 999 }],
    outliers: [
      outlier("select * from public.market_candles where symbol = $1"),
      outlier("select optimizer.ingest_metric_events($1::jsonb, $2)"),
      outlier("update public.robots set code = $1 where id = $2"),
    ],
    columnsByTable,
  });
  assert.deepEqual(advice.indexes, []);
  assert.deepEqual(advice.rejected.map((r) => r.reason), [
    "3 seq scans < 10",
    "market_candles is not among the sequentially scanned tables",
    "reads none or several of the app's tables",
    "robots is not among the sequentially scanned tables",
  ]);
});

Deno.test("adviseFromCliOutput() adds no duplicate and at most maxIndexesPerTable per table", () => {
  const advice = adviseFromCliOutput(
    {
      foreignKeys: [],
      tableStats: [{ name: "public.robots", seq_scans: 100 }],
      outliers: [
        outlier("select * from public.robots where user_id = $1"),
        outlier("select id from public.robots where user_id = $1"),
        outlier("select * from public.robots where strategy_type = $1"),
        outlier("select * from public.robots where name = $1"),
      ],
      columnsByTable,
    },
    { appTables: ["robots"], minSeqScans: 50, outliersRead: 10, maxIndexesPerTable: 2 },
  );
  assert.deepEqual(advice.indexes.map((i) => i.name), ["peer_robots_user_id", "peer_robots_strategy_type"]);
  assert.deepEqual(advice.rejected.map((r) => r.reason), [
    "same columns as peer_robots_user_id",
    "already 2 new indexes on robots",
  ]);
});
