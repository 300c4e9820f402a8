import assert from "node:assert/strict";
import { createDirectory, learnCreatedRobot, toHttpCall } from "../../bench/harness/request_mapper.ts";
import type { TraceRequest } from "../../bench/trace/trace.ts";
import { type Endpoint, endpointFunction } from "../../bench/trace/trace.ts";

const request = (endpoint: Endpoint, params: TraceRequest["params"] = {}, userIndex = 0): TraceRequest => ({
  atMs: 0,
  endpoint,
  fn: endpointFunction[endpoint],
  userIndex,
  key: "",
  params,
});

const directory = () => createDirectory([["robot-a0", "robot-a1"], ["robot-b0"]]);

Deno.test("toHttpCall() resolves robot indexes to the user's robot ids", () => {
  assert.deepEqual(toHttpCall(request("robots.get", { robotIndex: 1 }), directory()), {
    call: { method: "GET", path: "/robots/robot-a1" },
  });
  assert.deepEqual(toHttpCall(request("robots.softDelete", { robotIndex: 0 }, 1), directory()), {
    call: { method: "DELETE", path: "/robots/robot-b0" },
  });
});

Deno.test("toHttpCall() skips, with the reason, a robot the replay has not created yet", () => {
  const mapped = toHttpCall(request("robots.update", { robotIndex: 5 }), directory());
  assert.deepEqual(mapped, { skip: "robot 0:5 is unknown" });
});

Deno.test("toHttpCall() keeps only known robots in a fetch by ids", () => {
  const mapped = toHttpCall(request("robots.byIds", { robotIndexes: "0,1,9" }), directory());
  assert.deepEqual(mapped, { call: { method: "GET", path: "/robots/by-ids?ids=robot-a0%2Crobot-a1" } });
});

Deno.test("toHttpCall() sends several KB of code and the whole chat history with every save", () => {
  const mapped = toHttpCall(request("robots.update", { robotIndex: 0 }), directory());
  assert.ok("call" in mapped);
  const body = mapped.call.body as { code: string; chat_history: unknown[] };
  assert.equal(body.code.length, 4096);
  assert.equal(body.chat_history.length, 12);
});

Deno.test("toHttpCall() passes search, paging and market parameters as the query string", () => {
  assert.deepEqual(toHttpCall(request("robots.search", { q: "grid", page: 2 }), directory()), {
    call: { method: "GET", path: "/robots/search?q=grid&page=2" },
  });
  assert.deepEqual(toHttpCall(request("market.quote", { symbol: "EURUSD", timeframe: "M5" }), directory()), {
    call: { method: "GET", path: "/market-data/quote?symbol=EURUSD&timeframe=M5" },
  });
});

Deno.test("learnCreatedRobot() makes a created or duplicated robot reachable by its trace index", () => {
  const dir = directory();
  learnCreatedRobot(request("robots.create", { robotIndex: 7 }), 201, { robot: { id: "new-7" } }, dir);
  learnCreatedRobot(request("robots.duplicate", { robotIndex: 0, newRobotIndex: 8 }), 201, {
    robot: { id: "copy-8" },
  }, dir);
  learnCreatedRobot(request("robots.create", { robotIndex: 9 }), 409, { error: "taken" }, dir);
  assert.deepEqual(toHttpCall(request("robots.get", { robotIndex: 7 }), dir), {
    call: { method: "GET", path: "/robots/new-7" },
  });
  assert.deepEqual(toHttpCall(request("robots.get", { robotIndex: 8 }), dir), {
    call: { method: "GET", path: "/robots/copy-8" },
  });
  assert.ok("skip" in toHttpCall(request("robots.get", { robotIndex: 9 }), dir));
});
