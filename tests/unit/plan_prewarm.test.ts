import assert from "node:assert/strict";
import type { RecurringSlot } from "../../shared/correlate/buffer_dips.ts";
import {
  loadKey,
  planPrewarm,
  type PrewarmInput,
  type StatementTables,
} from "../../shared/buffers/plan_prewarm.ts";

const now = new Date("2025-03-10T07:15:00Z");

/** A slot that dipped at 07:30 UTC on two of three days. */
function slot(at = "07:30"): RecurringSlot {
  const dip = (day: string) => ({
    from: new Date(`${day}T${at}:00Z`),
    to: new Date(Date.parse(`${day}T${at}:00Z`) + 300_000),
    hitRatio: 0.8,
    blocksRead: 900,
    slot: at,
  });
  return {
    slot: at,
    dipDays: ["2025-03-08", "2025-03-09"],
    observedDays: 3,
    dips: [dip("2025-03-08"), dip("2025-03-09")],
  };
}

function input(overrides: Partial<PrewarmInput> = {}): PrewarmInput {
  return {
    now,
    recurring: [slot()],
    readsBySlot: new Map([["07:30", [
      { relation: "public.robots", blocksRead: 400 },
      { relation: "public.robot_messages", blocksRead: 1200 },
    ]]]),
    relations: new Map([
      ["public.robots", { relation: "public.robots", blocks: 500, residentBlocks: 20 }],
      ["public.robot_messages", { relation: "public.robot_messages", blocks: 2000, residentBlocks: 100 }],
    ]),
    sharedBufferBlocks: 16_384,
    readMsPerBlock: 0.25,
    alreadyLoaded: new Set(),
    slotMinutes: 30,
    statements: [],
    ...overrides,
  };
}

/** A statement forecast at `forecast` calls a minute from 07:00 to 09:00, after `recent` a minute lately. */
function statement(
  queryid: string,
  recent: number,
  forecast: number,
  tables: string[] | null,
): StatementTables {
  const from = Date.parse("2025-03-10T07:00:00Z");
  return {
    queryid,
    recentPerMinute: recent,
    points: Array.from({ length: 120 }, (_, k) => ({ atMs: from + k * 60_000, value: forecast })),
    tables,
  };
}

Deno.test("planPrewarm() loads the tables a coming dip slot read from disk, the most read first", () => {
  const plan = planPrewarm(input());
  assert.equal(plan.reason, null);
  assert.deepEqual(
    plan.planned.map((
      p,
    ) => [p.relation, p.slotStartsAt.toISOString(), p.expectedBlocksAvoided, p.expectedSavedMs]),
    [
      ["public.robot_messages", "2025-03-10T07:30:00.000Z", 600, 150],
      ["public.robots", "2025-03-10T07:30:00.000Z", 200, 50],
    ],
  );
  assert.match(plan.planned[0].reason, /dipped at 07:30 UTC on 2 of 3 day\(s\).*about 600 per day, 150 ms/);
});

Deno.test("planPrewarm() waits for a run closer to a slot that starts beyond the lookahead", () => {
  const plan = planPrewarm(input({ recurring: [slot("09:00")] }));
  assert.deepEqual(plan.planned, []);
  assert.match(plan.reason!, /no dip slot starts within lookaheadMinutes 20 \(slots: 09:00 UTC\)/);
});

Deno.test("planPrewarm() leaves a table alone that is already resident", () => {
  const relations = new Map(input().relations);
  relations.set("public.robots", { relation: "public.robots", blocks: 500, residentBlocks: 480 });
  const plan = planPrewarm(input({ relations }));
  assert.deepEqual(plan.planned.map((p) => p.relation), ["public.robot_messages"]);
  assert.deepEqual(plan.rejected, [{
    slot: "07:30",
    relation: "public.robots",
    reason: "already resident: 480 of 500 blocks in shared buffers (residentRatio 90.0 %)",
  }]);
});

Deno.test("planPrewarm() does not load again what an earlier run loaded for the same slot", () => {
  const alreadyLoaded = new Set([loadKey(new Date("2025-03-10T07:30:00Z"), "public.robot_messages")]);
  const plan = planPrewarm(input({ alreadyLoaded }));
  assert.deepEqual(plan.planned.map((p) => p.relation), ["public.robots"]);
  assert.match(plan.rejected[0].reason, /already loaded for the slot starting 2025-03-10T07:30:00.000Z/);
});

Deno.test("planPrewarm() keeps within maxBufferShare of shared_buffers, the most blocks avoided first", () => {
  const plan = planPrewarm(input({ sharedBufferBlocks: 8_000 }));
  assert.deepEqual(plan.planned.map((p) => p.relation), ["public.robot_messages"]);
  assert.deepEqual(plan.rejected.map((r) => [r.relation, r.reason]), [[
    "public.robots",
    "its 500 blocks would exceed maxBufferShare 25.0 % of shared_buffers (2000 blocks, 2000 already planned)",
  ]]);
});

Deno.test("planPrewarm() gives no milliseconds when the read time per block is not measured", () => {
  const plan = planPrewarm(input({ readMsPerBlock: null }));
  assert.deepEqual(plan.planned.map((p) => p.expectedSavedMs), [null, null]);
  assert.match(plan.planned[0].reason, /track_io_timing is off/);
});

Deno.test("planPrewarm() says residency is unknown without pg_buffercache, and loads anyway", () => {
  const relations = new Map([...input().relations].map(([k, v]) => [k, { ...v, residentBlocks: null }]));
  const plan = planPrewarm(input({ relations }));
  assert.equal(plan.planned.length, 2);
  assert.match(plan.planned[0].reason, /residency unknown without pg_buffercache/);
});

Deno.test("planPrewarm() skips a table that no longer exists and the tables beyond maxRelationsPerSlot", () => {
  const relations = new Map(input().relations);
  relations.delete("public.robots");
  const plan = planPrewarm(input({ relations }), { maxRelationsPerSlot: 1 });
  assert.deepEqual(plan.rejected.map((r) => [r.relation, r.reason]), [
    ["public.robots", "ranked 2 by blocks read in the slot: beyond maxRelationsPerSlot 1"],
  ]);
  const gone = planPrewarm(input({ relations }));
  assert.deepEqual(gone.rejected.map((r) => [r.relation, r.reason]), [[
    "public.robots",
    "the table no longer exists",
  ]]);
});

Deno.test("planPrewarm() names a bad option", () => {
  assert.throws(() => planPrewarm(input(), { maxBufferShare: 2 }), /maxBufferShare must be <= 1: got 2/);
});

Deno.test("planPrewarm() leaves a slot alone when statements are forecast through it and none spikes", () => {
  const plan = planPrewarm(input({ statements: [statement("11", 10, 12, ["public.robot_messages"])] }));
  assert.deepEqual(plan.planned, []);
  assert.deepEqual(plan.rejected.map((r) => r.relation), ["public.robot_messages", "public.robots"]);
  assert.match(
    plan.rejected[0].reason,
    /no statement is forecast to spike over the slot: of the 1 forecast through it, the steepest rise is statement 11's, 12 calls a minute over the slot against 10 lately \(1\.2×\), below minSpikeRatio 2/,
  );
});

Deno.test("planPrewarm() loads only the tables a spiking statement reads, and names the statement", () => {
  const plan = planPrewarm(input({
    statements: [statement("11", 2, 20, ["public.robot_messages"]), statement("12", 5, 5, ["public.robots"])],
  }));
  assert.deepEqual(plan.planned.map((p) => p.relation), ["public.robot_messages"]);
  assert.match(
    plan.planned[0].reason,
    /statement 11 reads it and is forecast at 20 calls a minute over the slot against 2 lately \(10×\)/,
  );
  assert.deepEqual(plan.rejected, [{
    slot: "07:30",
    relation: "public.robots",
    reason: "read by none of the 1 statement(s) forecast to spike over the slot",
  }]);
});

Deno.test("planPrewarm() counts a rise below minCallsPerMinute as no spike", () => {
  const plan = planPrewarm(input({ statements: [statement("11", 0, 0.5, ["public.robot_messages"])] }));
  assert.deepEqual(plan.planned, []);
  assert.match(plan.rejected[0].reason, /0\.5 calls a minute over the slot against 0 lately \(from none\)/);
});

Deno.test("planPrewarm() loads on the recurrence alone when no statement forecast reaches the slot, and says so", () => {
  const early = {
    ...statement("11", 10, 10, ["public.robots"]),
    points: [{ atMs: now.getTime(), value: 10 }],
  };
  const plan = planPrewarm(input({ statements: [early] }));
  assert.equal(plan.planned.length, 2);
  assert.match(
    plan.planned[0].reason,
    /no statement forecast of this run reaches the slot: loaded on the recurrence alone$/,
  );
});

Deno.test("planPrewarm() loads on the recurrence alone when no spiking statement could be explained", () => {
  const plan = planPrewarm(input({ statements: [statement("11", 2, 20, null)] }));
  assert.equal(plan.planned.length, 2);
  assert.match(
    plan.planned[0].reason,
    /the 1 statement\(s\) forecast to spike over the slot could not be explained: loaded on the recurrence alone$/,
  );
});
