/**
 * onReplayClock() (bench/harness/suite_warmer.ts) puts the suite's clock back when the replay is interrupted:
 * Ctrl-C ends a process without running its `finally` blocks, and a clock left sped up keeps the project's
 * metric store and warmer hours ahead of wall-clock time.
 */
import assert from "node:assert/strict";
import { stackEnv } from "../support/env.ts";
import { withSql } from "../support/metric_store_db.ts";

const child = new URL("../support/replay_clock_child.ts", import.meta.url).pathname;

async function clockRate(): Promise<number> {
  return await withSql(async (sql) => {
    const [{ rate }] = await sql<{ rate: number }[]>`select rate from optimizer.read_clock()`;
    return Number(rate);
  });
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`onReplayClock() puts the clock back to wall-clock time on ${signal}, and exits ${code}`, async () => {
    const replay = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", child],
      env: { SUPABASE_DB_URL: stackEnv().dbUrl },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = replay.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    while (!output.includes("sped up")) {
      const { value, done } = await reader.read();
      if (done) break;
      output += value;
    }
    try {
      assert.equal(await clockRate(), 60, "the replay runs on a clock sped up 60x");
    } finally {
      replay.kill(signal);
    }
    const drained = (async () => {
      while (!(await reader.read()).done);
    })();
    const [status, stderr] = await Promise.all([
      replay.status,
      new Response(replay.stderr).text(),
      drained,
    ]);
    assert.equal(status.code, code, stderr);
    assert.match(stderr, new RegExp(`${signal}: the suite's clock is back on wall-clock time`));
    assert.equal(await clockRate(), 1);
  });
}
