import assert from "node:assert/strict";
import { readAzureTrace } from "../../bench/sim/azure_trace.ts";
import { simulate } from "../../bench/sim/run.ts";

const minuteHeader = Array.from({ length: 1440 }, (_, i) => String(i + 1)).join(",");
const row = (fn: string, counts: Record<number, number>) =>
  `o,a,${fn},http,` + Array.from({ length: 1440 }, (_, i) => counts[i] ?? 0).join(",");
const small = [
  `HashOwner,HashApp,HashFunction,Trigger,${minuteHeader}`,
  row("f1", { 0: 2, 5: 1 }),
  row("f2", { 5: 3 }),
]
  .join("\n");

Deno.test("readAzureTrace() spreads each minute's invocations over that minute, in time order", () => {
  const trace = readAzureTrace(small, 1);
  assert.deepEqual([trace.functions, trace.minutes, trace.invocations], [2, 1440, 6]);
  const requests = [...trace.requests()];
  assert.equal(requests.length, 6);
  assert.deepEqual(requests.filter((r) => r.fn === "a/f1").map((r) => Math.floor(r.atMs / 60_000)), [
    0,
    0,
    5,
  ]);
  assert.ok(requests.every((r, i) => i === 0 || r.atMs >= requests[i - 1].atMs));
  assert.deepEqual([...trace.requests()], requests, "the same seed gives the same times");
});

Deno.test("readAzureTrace() names the line and column of a bad count", () => {
  const bad = small.replace("o,a,f2,http,0", "o,a,f2,http,-1");
  assert.throws(() => readAzureTrace(bad, 1), /trace file line 3, column 1: "-1" is not a whole count >= 0/);
});

Deno.test("readAzureTrace() needs at least a day of minute columns", () => {
  assert.throws(
    () => readAzureTrace("HashFunction,1,2\nf,1,0", 1),
    /at least one day of minute columns .*found 2/,
  );
});

Deno.test("the simulation reports the planner and the histogram policy on the sample outside trace", async () => {
  const text = await Deno.readTextFile(new URL("../../bench/sim/testdata/azure_sample.csv", import.meta.url));
  const trace = readAzureTrace(text, 1);
  const result = simulate({
    trace: { durationMs: trace.durationMs, requests: trace.requests() },
    coldStartMs: 100,
    warmLatencyMs: 5,
    cacheCapacities: [64],
  });
  const rows = new Map(result.warming.rows.map((r) => [r.policy, r.overall]));
  assert.equal(rows.get("none")!.requests, trace.invocations);
  for (const policy of ["planner (performance)", "histogram"]) {
    assert.ok(rows.get(policy)!.avoidedVsNone > 0, `${policy} avoided no cold start`);
  }
});
