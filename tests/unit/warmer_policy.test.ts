import assert from "node:assert/strict";
import { simulateFunctionWarming } from "../../bench/sim/warming.ts";
import { noWarming } from "../../bench/sim/warming_policies.ts";
import { warmerPolicy } from "../../shared/warm/warmer_policy.ts";
import type { WarmingPolicy } from "../../shared/warm/policy.ts";
import { MINUTE_MS } from "../../shared/time.ts";

const workerOptions = { idleTimeoutMs: MINUTE_MS, maxLifetimeMs: 2.5 * MINUTE_MS };

function run(requestTimes: number[], policy: WarmingPolicy) {
  return simulateFunctionWarming(
    { fn: "robots", requestTimes, endMs: requestTimes.at(-1)!, coldStartMs: 100, workerOptions },
    policy,
  );
}

const every = (everyMs: number, toMs: number) =>
  Array.from({ length: Math.floor(toMs / everyMs) }, (_, k) => k * everyMs);

Deno.test("warmerPolicy() probes a busy function once, then boots each successor as a lifetime ends", () => {
  // A request every 5 s for an hour: without pings, every 150 s lifetime ends in a cold start.
  const times = every(5_000, 60 * MINUTE_MS);
  const none = run(times, noWarming());
  const warmer = run(times, warmerPolicy());
  // The first minutes teach the rate and the first probe the worker's age; after that no lifetime goes cold.
  assert.ok(
    warmer.coldStarts <= 3,
    `cold starts with the warmer: ${warmer.coldStarts} (none: ${none.coldStarts})`,
  );
  assert.ok(warmer.pings <= none.coldStarts + 3, `pings: ${warmer.pings}`);
});

Deno.test("warmerPolicy() sends a successor even when requests keep coming, as the deployed warmer does", () => {
  // Requests every 5 s: the successor pings are planned a minute ahead and sent though traffic keeps coming.
  const times = every(5_000, 20 * MINUTE_MS);
  const counts = run(times, warmerPolicy());
  assert.ok(counts.pings > 0);
  assert.equal(counts.pingBoots, counts.pings - 1, "every ping but the probe booted a successor");
});

Deno.test("warmerPolicy() sends nothing to a function without requests in the last minutes", () => {
  assert.equal(run([0, 10 * 60 * MINUTE_MS], warmerPolicy()).pings, 0);
});

Deno.test("warmerPolicy() drops the refreshes that requests it can see make needless", () => {
  // A request every 50 s keeps the worker from its 60-s idle deadline: each minute's refresh, planned for just
  // before that deadline, finds a later request stored and is dropped. Only lifetime successors (24 in the
  // hour) and the probes that learn the worker's age are sent.
  const times = every(50_000, 60 * MINUTE_MS);
  const counts = run(times, warmerPolicy());
  assert.ok(counts.pings <= 30, `pings: ${counts.pings}`);
  assert.ok(counts.coldStarts <= 3, `cold starts: ${counts.coldStarts}`);
});
