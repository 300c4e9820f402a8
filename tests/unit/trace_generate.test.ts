import assert from "node:assert/strict";
import {
  defaultMix,
  generateTrace,
  resolveTraceOptions,
  traceDefaults,
  traceOutages,
  traceRequests,
} from "../../bench/trace/generate.ts";
import { defaultMarketOpens, leadingMarket } from "../../bench/trace/shape.ts";
import { cacheKey, type Endpoint, endpoints, isWrite, type TraceRequest } from "../../bench/trace/trace.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

/** Two weekdays (Monday and Tuesday) at the default rate: the trace most properties are checked on. */
const weekdays = generateTrace({ seed: 11, durationMs: 2 * DAY_MS });
const startEpoch = Date.parse(traceDefaults.startIso);

function countIn(requests: TraceRequest[], fromMs: number, toMs: number): number {
  return requests.filter((r) => r.atMs >= fromMs && r.atMs < toMs).length;
}

Deno.test("the same seed gives the identical trace; another seed a different one", () => {
  const options = { seed: 5, durationMs: 6 * HOUR_MS };
  assert.deepEqual(generateTrace(options), generateTrace(options));
  const other = generateTrace({ ...options, seed: 6 });
  assert.notDeepEqual(other.requests.slice(0, 50), generateTrace(options).requests.slice(0, 50));
  assert.notDeepEqual(traceOutages({ seed: 12, durationMs: 2 * DAY_MS }), weekdays.outages);
});

Deno.test("requests are sorted by time and lie within the trace; streaming yields the same requests", () => {
  const requests = weekdays.requests;
  for (let i = 1; i < requests.length; i++) assert.ok(requests[i - 1].atMs <= requests[i].atMs);
  assert.ok(requests[0].atMs >= 0 && requests.at(-1)!.atMs < weekdays.durationMs);
  assert.deepEqual([...traceRequests({ seed: 11, durationMs: 2 * DAY_MS })], requests);
});

Deno.test("night hours carry under 10 % of the peak hour's requests", () => {
  const perHour = Array.from(
    { length: 24 },
    (_, h) => countIn(weekdays.requests, h * HOUR_MS, (h + 1) * HOUR_MS),
  );
  const peak = Math.max(...perHour);
  for (const night of [2, 3, 4]) {
    assert.ok(perHour[night] < 0.1 * peak, `hour ${night}: ${perHour[night]} vs peak ${peak}`);
  }
});

Deno.test("a day has idle gaps longer than a 150 s worker lifetime and than a 5-minute warmer interval", () => {
  const day = weekdays.requests.filter((r) => r.atMs < DAY_MS);
  const gaps = day.slice(1).map((r, i) => r.atMs - day[i].atMs);
  assert.ok(gaps.some((gap) => gap > 150_000));
  assert.ok(gaps.some((gap) => gap > 5 * MINUTE_MS), `longest gap ${Math.max(...gaps)} ms`);
});

Deno.test("each market open bursts above the windows before and after it", () => {
  const trace = generateTrace({ seed: 11, durationMs: 2 * DAY_MS, newsPerDay: 0 });
  const window = traceDefaults.burstMinutes * MINUTE_MS;
  for (const open of defaultMarketOpens) {
    const at = DAY_MS + open.utcMinute * MINUTE_MS; // Tuesday, so Tokyo's Monday-midnight open has a window before it
    const burst = countIn(trace.requests, at, at + window);
    const before = countIn(trace.requests, at - window, at);
    const after = countIn(trace.requests, at + window, at + 2 * window);
    assert.ok(burst > 1.3 * before && burst > 1.3 * after, `${open.name}: ${before} / ${burst} / ${after}`);
  }
});

Deno.test("weekends are quieter than weekdays", () => {
  const week = generateTrace({ seed: 3, durationMs: 7 * DAY_MS, peakRequestsPerMinute: 10 }).requests;
  const tuesday = countIn(week, DAY_MS, 2 * DAY_MS);
  const saturday = countIn(week, 5 * DAY_MS, 6 * DAY_MS);
  assert.ok(saturday < 0.5 * tuesday, `saturday ${saturday} vs tuesday ${tuesday}`);
});

Deno.test("the most requested robot and symbol get far more requests than the median one", () => {
  const robots = new Map<string, number>();
  const symbols = new Map<string, number>();
  for (const r of weekdays.requests) {
    if (r.params.robotIndex !== undefined) {
      const id = `${r.userIndex}/${r.params.robotIndex}`;
      robots.set(id, (robots.get(id) ?? 0) + 1);
    }
    if (r.params.symbol !== undefined) {
      symbols.set(`${r.params.symbol}`, (symbols.get(`${r.params.symbol}`) ?? 0) + 1);
    }
  }
  for (const [name, counts] of [["robot", robots], ["symbol", symbols]] as const) {
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const median = sorted[Math.floor(sorted.length / 2)];
    assert.ok(sorted[0] >= 5 * median, `${name}: top ${sorted[0]} vs median ${median}`);
  }
});

Deno.test("symbol popularity drifts: each market session has its own top symbol", () => {
  const bySession = defaultMarketOpens.map(() => new Map<string, number>());
  for (const r of weekdays.requests) {
    if (r.params.symbol === undefined) continue;
    const counts = bySession[leadingMarket(defaultMarketOpens, startEpoch + r.atMs)];
    counts.set(`${r.params.symbol}`, (counts.get(`${r.params.symbol}`) ?? 0) + 1);
  }
  const tops = bySession.map((counts) => [...counts].sort((a, b) => b[1] - a[1])[0][0]);
  assert.equal(new Set(tops).size, tops.length, `top symbols per session: ${tops}`);
});

Deno.test("session traffic follows the configured mix within sampling error", () => {
  const requests = generateTrace({ seed: 11, durationMs: 2 * DAY_MS, newsPerDay: 0 }).requests;
  const total = Object.values(defaultMix).reduce((a, b) => a + b, 0);
  const counts = new Map<Endpoint, number>();
  for (const r of requests) counts.set(r.endpoint, (counts.get(r.endpoint) ?? 0) + 1);
  for (const endpoint of endpoints) {
    const expected = defaultMix[endpoint] / total;
    const observed = (counts.get(endpoint) ?? 0) / requests.length;
    // Sessions make draws dependent; 4 binomial standard errors plus a small floor cover that.
    const tolerance = 4 * Math.sqrt(expected * (1 - expected) / requests.length) + 0.003;
    assert.ok(Math.abs(observed - expected) <= tolerance, `${endpoint}: ${observed} vs ${expected}`);
  }
  const writes = requests.filter((r) => isWrite(r.endpoint)).length / requests.length;
  assert.ok(Math.abs(writes - 0.238) < 0.01, `write share ${writes}`);
});

Deno.test("a user's requests cluster in sessions: most follow the same user's previous one within minutes", () => {
  const lastByUser = new Map<number, number>();
  let close = 0;
  for (const r of weekdays.requests) {
    const last = lastByUser.get(r.userIndex);
    if (last !== undefined && r.atMs - last < 2 * MINUTE_MS) close++;
    lastByUser.set(r.userIndex, r.atMs);
  }
  assert.ok(close > 0.6 * weekdays.requests.length, `${close} of ${weekdays.requests.length}`);
});

Deno.test("no request addresses a robot before it is created or after it is deleted", () => {
  const counts = resolveTraceOptions().robotsPerUser;
  assert.equal(counts, null);
  const created = new Map<string, number>();
  const deleted = new Map<string, number>();
  for (const r of weekdays.requests) {
    if (r.endpoint === "robots.create") created.set(`${r.userIndex}/${r.params.robotIndex}`, r.atMs);
    if (r.endpoint === "robots.duplicate") created.set(`${r.userIndex}/${r.params.newRobotIndex}`, r.atMs);
    if (r.endpoint === "robots.softDelete") deleted.set(`${r.userIndex}/${r.params.robotIndex}`, r.atMs);
  }
  for (const r of weekdays.requests) {
    const indexes = r.params.robotIndexes !== undefined
      ? `${r.params.robotIndexes}`.split(",")
      : r.params.robotIndex !== undefined && r.endpoint !== "robots.create"
      ? [`${r.params.robotIndex}`]
      : [];
    for (const index of indexes) {
      const id = `${r.userIndex}/${index}`;
      assert.ok((created.get(id) ?? -1) <= r.atMs, `${r.endpoint} of ${id} before its creation`);
      if (r.endpoint !== "robots.softDelete") {
        assert.ok((deleted.get(id) ?? Infinity) >= r.atMs, `${id} after deletion`);
      }
    }
  }
});

Deno.test("given robot counts are respected: initial robots are addressed by index below the count", () => {
  const robotsPerUser = [3, 0, 1];
  const trace = generateTrace({ seed: 2, robotsPerUser, durationMs: 12 * HOUR_MS });
  const createdIndexes = new Set(
    trace.requests.flatMap((r) =>
      r.endpoint === "robots.create"
        ? [`${r.userIndex}/${r.params.robotIndex}`]
        : r.endpoint === "robots.duplicate"
        ? [`${r.userIndex}/${r.params.newRobotIndex}`]
        : []
    ),
  );
  for (const r of trace.requests) {
    assert.ok(r.userIndex < 3);
    if (r.endpoint === "robots.get" && !createdIndexes.has(`${r.userIndex}/${r.params.robotIndex}`)) {
      assert.ok(Number(r.params.robotIndex) < robotsPerUser[r.userIndex]);
    }
  }
});

Deno.test("reads carry the cache key of their answer; writes none; market keys are shared by all users", () => {
  for (const r of weekdays.requests) {
    assert.equal(r.key, cacheKey(r.endpoint, r.userIndex, r.params));
    assert.equal(r.key === "", isWrite(r.endpoint));
    if (r.fn === "market-data") assert.ok(!r.key.startsWith("u"));
    else if (r.key !== "") assert.ok(r.key.startsWith(`u${r.userIndex}:`));
  }
  const candles = weekdays.requests.find((r) => r.endpoint === "market.candles")!;
  assert.ok(Date.parse(`${candles.params.from}`) < Date.parse(`${candles.params.to}`));
});

Deno.test("outage windows are present, ordered, disjoint and inside the trace", () => {
  const outages = weekdays.outages;
  assert.ok(outages.length >= 2, `${outages.length} outages in two days`);
  outages.forEach((o, i) => {
    assert.ok(o.startMs >= 0 && o.startMs < o.endMs && o.endMs <= weekdays.durationMs);
    assert.ok(o.endMs - o.startMs <= traceDefaults.outageMaxMinutes * MINUTE_MS);
    if (i > 0) assert.ok(outages[i - 1].endMs < o.startMs);
  });
  assert.deepEqual(traceOutages({ seed: 11, durationMs: 2 * DAY_MS }), outages);
});

Deno.test("a 14-day trace at the default rate stays manageable (10^5 to 3·10^6 requests), streamed", () => {
  let count = 0;
  for (const _ of traceRequests({ seed: 1, durationMs: 14 * DAY_MS })) count++;
  assert.ok(count >= 1e5 && count <= 3e6, `${count} requests`);
});

Deno.test("invalid options fail early and say what to change", () => {
  assert.throws(() => resolveTraceOptions({ users: 0 }), /users must be an integer >= 1: got 0/);
  assert.throws(
    () => resolveTraceOptions({ startIso: "monday" }),
    /startIso must be an ISO date-time: got "monday"/,
  );
  assert.throws(
    () => resolveTraceOptions({ users: 3, robotsPerUser: [1, 2] }),
    /robotsPerUser must have one count per user \(3\): got 2/,
  );
  assert.throws(
    () => resolveTraceOptions({ mix: { ...defaultMix, "robots.list": 0.01 } }),
    /mix\["robots.list"\] must be at least 1 \/ meanRequestsPerSession/,
  );
  assert.throws(() => resolveTraceOptions({ diurnal: [1] }), /diurnal must have 24 hourly weights: got 1/);
  assert.equal(resolveTraceOptions({ robotsPerUser: [1, 2, 3] }).users, 3);
});
