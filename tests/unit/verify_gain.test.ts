import assert from "node:assert/strict";
import { checkIndexBuild, estimatedGain, type IndexCheckInput } from "../../shared/mod.ts";

const window = { from: "2026-11-29T00:00:00.000Z", to: "2026-11-30T00:00:00.000Z" };
const afterWindow = { from: "2026-11-30T00:00:00.000Z", to: "2026-11-30T01:00:00.000Z" };
const options = { minCalls: 20, degradationRatio: 0.1 };

/**
 * A build estimated to save 900 ms on statement 1 (100 calls at 10 ms each before), its table written by
 * statement 9 (50 calls at 20 ms each before; `writesAfter` since the build).
 */
function input(
  after: { calls: number; totalMs: number } | null,
  indexScans: number | null = 40,
  writesAfter: { calls: number; totalMs: number } | null = null,
): IndexCheckInput {
  return {
    estimate: estimatedGain(900, "ms", "test model"),
    estimateWindow: window,
    served: [{ queryid: "1", calls: 100 }],
    before: new Map([["1", { calls: 100, totalMs: 1_000 }]]),
    after: new Map(after === null ? [] : [["1", after]]),
    afterWindow,
    indexScans,
    writes: {
      before: new Map([["9", { calls: 50, totalMs: 1_000 }]]),
      after: new Map(writesAfter === null ? [] : [["9", writesAfter]]),
    },
  };
}

Deno.test("checkIndexBuild() waits for minCalls calls of the statements since the build", () => {
  const check = checkIndexBuild(input({ calls: 5, totalMs: 5 }), options);
  assert.equal(check.verdict, "pending");
  assert.match(check.reason, /^5 call\(s\) .* verification\.minCalls is 20$/);
});

Deno.test("checkIndexBuild() measures the per-call saving times the estimate window's calls", () => {
  // 1 ms per call after against 10 before: 9 ms saved on each of 100 calls
  const check = checkIndexBuild(input({ calls: 40, totalMs: 40 }), options);
  assert.ok(check.verdict === "kept");
  assert.equal(check.measured.value, 900);
  assert.equal(check.measured.kind, "measured");
  assert.deepEqual(check.measured.window, afterWindow);
  assert.equal(check.relativeError, 0);
  assert.equal(check.perCallRatio, 0.1);
});

Deno.test("checkIndexBuild() compares per call, so a quieter hour after the build is no loss", () => {
  const busy = checkIndexBuild(input({ calls: 400, totalMs: 2_000 }), options);
  const quiet = checkIndexBuild(input({ calls: 25, totalMs: 125 }), options);
  assert.ok(busy.verdict !== "pending" && quiet.verdict !== "pending");
  assert.equal(busy.measured.value, quiet.measured.value);
});

Deno.test("checkIndexBuild() states the estimator's error against the measurement", () => {
  // 5 ms per call after: 500 ms saved against 900 estimated
  const check = checkIndexBuild(input({ calls: 40, totalMs: 200 }), options);
  assert.ok(check.verdict !== "pending");
  assert.equal(check.relativeError, 0.8);
});

Deno.test("checkIndexBuild() finds an index the planner never scanned unused", () => {
  const check = checkIndexBuild(input({ calls: 40, totalMs: 400 }, 0), options);
  assert.equal(check.verdict, "unused");
  assert.match(check.reason, /^the planner has not scanned the index since it was built/);
});

Deno.test("checkIndexBuild() finds statements slower per call beyond degradationRatio degraded", () => {
  const check = checkIndexBuild(input({ calls: 40, totalMs: 480 }), options);
  assert.equal(check.verdict, "degraded");
  assert.match(
    check.reason,
    /slower per call than before it, beyond verification\.degradationRatio 0\.1: .*120 % of their time before/,
  );
  const within = checkIndexBuild(input({ calls: 40, totalMs: 420 }), options);
  assert.equal(within.verdict, "kept");
});

Deno.test("checkIndexBuild() leaves a statement that did not run in both windows out", () => {
  const check = checkIndexBuild({
    ...input({ calls: 40, totalMs: 40 }),
    served: [{ queryid: "1", calls: 100 }, { queryid: "2", calls: 50 }],
  }, options);
  assert.ok(check.verdict !== "pending");
  assert.match(check.reason, /^1 statement\(s\), 40 call\(s\)/);
});

Deno.test("checkIndexBuild() finds an index whose writes' penalty outweighs its reads' saving degraded", () => {
  // reads 9.5 ms per call against 10 (50 ms saved), writes 30 ms against 20 (500 ms more): 1.225 together
  const check = checkIndexBuild(input({ calls: 40, totalMs: 380 }, 40, { calls: 30, totalMs: 900 }), options);
  assert.ok(check.verdict === "degraded");
  assert.deepEqual([check.writeRatio, check.combinedRatio], [1.5, 1.225]);
  assert.match(
    check.reason,
    /^write latency up: .* take 122\.5 % of their time before per call, beyond verification\.degradationRatio 0\.1: .*the 1 statement\(s\) that write its table, 30 call\(s\) since the build: per call 150 % of their time before, 500 ms in the estimate's terms$/,
  );
});

Deno.test("checkIndexBuild() keeps an index whose slower writes cost less than its reads save", () => {
  // reads 1 ms per call against 10 (900 ms saved), writes 25 ms against 20 (250 ms more)
  const check = checkIndexBuild(input({ calls: 40, totalMs: 40 }, 40, { calls: 30, totalMs: 750 }), options);
  assert.ok(check.verdict === "kept");
  assert.deepEqual([check.writeRatio, check.combinedRatio], [1.25, 0.675]);
});

Deno.test("checkIndexBuild() does not judge the writes before they have run minCalls times since the build", () => {
  const check = checkIndexBuild(input({ calls: 40, totalMs: 40 }, 40, { calls: 5, totalMs: 500 }), options);
  assert.ok(check.verdict === "kept");
  assert.deepEqual([check.writeRatio, check.combinedRatio], [null, 0.1]);
  assert.match(
    check.reason,
    /5 call\(s\) since the build of the statements that write its table, below verification\.minCalls 20: not judged$/,
  );
});

Deno.test("checkIndexBuild() says so when no statement that writes the table ran in both windows", () => {
  const check = checkIndexBuild(input({ calls: 40, totalMs: 40 }), options);
  assert.ok(check.verdict === "kept");
  assert.match(check.reason, /no statement that writes its table ran in both windows$/);
});

/** `check` with each statement's per-call times spread around their mean: standard deviation cv × mean. */
function withSpread(check: IndexCheckInput, cv: number): IndexCheckInput {
  const spread = (times: ReadonlyMap<string, { calls: number; totalMs: number }>) =>
    new Map(
      [...times].map((
        [id, t],
      ) => [id, { ...t, sumSqMs: t.calls * (t.totalMs / t.calls) ** 2 * (1 + cv ** 2) }]),
    );
  return {
    ...check,
    before: spread(check.before),
    after: spread(check.after),
    writes: { before: spread(check.writes.before), after: spread(check.writes.after) },
  };
}

Deno.test("checkIndexBuild() keeps an index whose statements are slower per call only within the noise", () => {
  // 12 ms per call against 10, each call's time spread as widely as its mean: 1.2 ± 0.22
  const check = checkIndexBuild(withSpread(input({ calls: 40, totalMs: 480 }), 1), options);
  assert.ok(check.verdict === "kept");
  assert.deepEqual([check.perCallRatio, check.perCallStdError], [1.2, 0.224]);
  assert.match(
    check.reason,
    /^slower per call beyond verification\.degradationRatio 0\.1, but by less than 1\.645 standard errors above their time before: within the noise of the calls compared; 1 statement\(s\), 40 call\(s\) since the build: per call 120 % of their time before \(± 22\.4 at one standard error\)/,
  );
});

Deno.test("checkIndexBuild() finds statements slower per call beyond the noise degraded", () => {
  const check = checkIndexBuild(withSpread(input({ calls: 40, totalMs: 480 }), 0.1), options);
  assert.ok(check.verdict === "degraded");
  assert.equal(check.perCallStdError, 0.022);
  assert.match(check.reason, /per call 120 % of their time before \(± 2\.2 at one standard error\)/);
});

Deno.test("checkIndexBuild() keeps an index whose writes' penalty is within the noise", () => {
  // the writes' penalty case above (1.225 together), every call's time spread as widely as its mean
  const check = checkIndexBuild(
    withSpread(input({ calls: 40, totalMs: 380 }, 40, { calls: 30, totalMs: 900 }), 1),
    options,
  );
  assert.ok(check.verdict === "kept");
  assert.deepEqual([check.combinedRatio, check.combinedStdError], [1.225, 0.189]);
  assert.match(check.reason, /^slower per call beyond .*within the noise of the calls compared; /);
});

Deno.test("checkIndexBuild() judges by the point ratio alone when a window's variance is unknown", () => {
  const check = checkIndexBuild(input({ calls: 40, totalMs: 480 }), options);
  assert.ok(check.verdict === "degraded");
  assert.deepEqual([check.perCallStdError, check.combinedStdError], [null, null]);
});
