import assert from "node:assert/strict";
import postgres from "postgres";
import { stackEnv } from "../support/env.ts";

/**
 * Bad input gets a 4xx that says what is wrong and where, and the database is the same afterwards.
 */

const env = stackEnv();
const functionsUrl = `${env.url}/functions/v1`;

const goodEvent = () => ({
  occurredAt: new Date().toISOString(),
  system: "edge",
  target: "bad-input",
  kind: "request",
  latencyMs: 5,
});

interface Case {
  name: string;
  method: "GET" | "POST" | "PUT";
  path: string;
  body?: string;
  status: number;
  /** Text the error must contain so the caller can find the mistake. */
  mentions: string[];
}

const cases: Case[] = [
  {
    name: "malformed JSON",
    method: "POST",
    path: "/metrics",
    body: '{"events": [',
    status: 400,
    mentions: ["JSON"],
  },
  {
    name: "a wrong type deep in the batch",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [goodEvent(), { ...goodEvent(), latencyMs: "fast" }] }),
    status: 400,
    mentions: ["events[1].latencyMs"],
  },
  {
    name: "an unknown field",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), latency: 5 }] }),
    status: 400,
    mentions: ["events[0]", "latency"],
  },
  {
    name: "an unknown system",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [goodEvent(), goodEvent(), { ...goodEvent(), system: "queue" }] }),
    status: 400,
    mentions: ["events[2].system"],
  },
  {
    name: "an event dated before the retention window",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), occurredAt: "2020-01-01T00:00:00Z" }] }),
    status: 400,
    mentions: ["events[0].occurredAt"],
  },
  {
    name: "too many events",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: Array.from({ length: 1001 }, goodEvent) }),
    status: 400,
    mentions: ["events", "1000"],
  },
  {
    name: "an empty batch",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [] }),
    status: 400,
    mentions: ["events"],
  },
  {
    name: "an oversize body",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), attrs: { blob: "x".repeat(1_100_000) } }] }),
    status: 413,
    mentions: ["1048576 bytes"],
  },
  {
    name: "a NUL character in target",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), target: "orders\u0000" }] }),
    status: 400,
    mentions: ["events[0].target", "NUL"],
  },
  {
    name: "a NUL character in kind",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), kind: "request\u0000" }] }),
    status: 400,
    mentions: ["events[0].kind"],
  },
  {
    name: "a NUL character in an attrs string",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [goodEvent(), { ...goodEvent(), attrs: { tags: ["ok", "x\u0000"] } }] }),
    status: 400,
    mentions: ["events[1].attrs.tags[1]", "NUL"],
  },
  {
    name: "a lone surrogate in an attrs key",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), attrs: { "k\ud800": 1 } }] }),
    status: 400,
    mentions: ["events[0].attrs.k", "surrogate"],
  },
  {
    name: "a lone surrogate in target",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), target: "\ud800" }] }),
    status: 400,
    mentions: ["events[0].target", "surrogate"],
  },
  {
    name: "a time-zone offset beyond what Postgres accepts",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({ events: [{ ...goodEvent(), occurredAt: withOffset(new Date(), 20) }] }),
    status: 400,
    mentions: ["events[0].occurredAt", "+20:00"],
  },
  {
    name: "a fractional second hundreds of digits long",
    method: "POST",
    path: "/metrics",
    body: JSON.stringify({
      events: [{ ...goodEvent(), occurredAt: new Date().toISOString().replace("Z", "1".repeat(400) + "Z") }],
    }),
    status: 400,
    mentions: ["events[0].occurredAt", "fractional"],
  },
  {
    name: "attrs nested thousands of levels deep",
    method: "POST",
    path: "/metrics",
    body: `{"events":[${JSON.stringify(goodEvent()).replace(/}$/, ',"attrs":')}${'{"a":'.repeat(5000)}1${
      "}".repeat(5000)
    }}]}`,
    status: 400,
    mentions: ["events[0].attrs.a.a", "deeper than 8 levels"],
  },
  {
    name: "a NUL byte in a query-string filter",
    method: "GET",
    path: `/metrics?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&to=${
      encodeURIComponent(new Date().toISOString())
    }&target=a%00b`,
    status: 400,
    mentions: ["target", "NUL"],
  },
  {
    name: "a config with an unknown module",
    method: "PUT",
    path: "/status/config",
    body: JSON.stringify({ modules: { warmr: true } }),
    status: 400,
    mentions: ["modules", "warmr"],
  },
  {
    name: "a config with an out-of-range limit",
    method: "PUT",
    path: "/status/config",
    body: JSON.stringify({ limits: { maxRunDurationSeconds: 0 } }),
    status: 400,
    mentions: ["limits.maxRunDurationSeconds"],
  },
  {
    name: "a config that is not an object",
    method: "PUT",
    path: "/status/config",
    body: JSON.stringify([1, 2]),
    status: 400,
    mentions: ["object"],
  },
  ...[
    ["an unknown system filter", "GET", "/recommendations?system=queue", undefined, ["system"]],
    ["a NUL byte in a status filter", "GET", "/recommendations?status=%00", undefined, ["status"]],
    ["a limit of 0", "GET", "/recommendations?limit=0", undefined, ["limit"]],
    ["an unknown filter", "GET", "/recommendations?sort=severity", undefined, ["sort"]],
    ["a finding id that is not a number", "GET", "/recommendations/abc", undefined, ["id"]],
    ["a finding id of 0", "POST", "/recommendations/0/apply", undefined, ["id"]],
    ["a NUL byte as finding id", "POST", "/recommendations/%00/rollback", undefined, ["id"]],
    ["a finding id beyond bigint", "POST", `/recommendations/${"9".repeat(30)}/apply`, undefined, ["id"]],
    ["an unknown trigger", "POST", "/recommendations/refresh?trigger=later", undefined, ["trigger"]],
    ["a dismissal without a reason", "POST", "/recommendations/1/dismiss", "{}", ["reason"]],
    ["a blank reason", "POST", "/recommendations/1/dismiss", JSON.stringify({ reason: "  " }), ["reason"]],
    [
      "a NUL byte in the reason",
      "POST",
      "/recommendations/1/dismiss",
      JSON.stringify({ reason: "a\u0000b" }),
      ["reason", "NUL"],
    ],
    ["an unknown metric system", "GET", "/predictive/forecast?system=disk&target=x&kind=request", undefined, [
      "system",
    ]],
    [
      "a NUL byte in a forecast target",
      "GET",
      "/predictive/forecast?system=edge&target=a%00b&kind=request",
      undefined,
      [
        "target",
        "NUL",
      ],
    ],
    [
      "a forecast horizon of 0 minutes",
      "GET",
      "/predictive/forecast?system=edge&target=x&kind=request&horizonMinutes=0",
      undefined,
      [
        "horizonMinutes",
      ],
    ],
    [
      "a forecast history of 29 days",
      "GET",
      "/predictive/forecast?system=edge&target=x&kind=request&historyDays=29",
      undefined,
      [
        "historyDays",
      ],
    ],
    ["an unknown refresh trigger", "POST", "/predictive/refresh?trigger=later", undefined, ["trigger"]],
    ["an unknown predictive run trigger", "POST", "/predictive/run?trigger=later", undefined, ["trigger"]],
    ["an unknown warmer trigger", "POST", "/warmer/run?trigger=later", undefined, ["trigger"]],
    ["a warm target that is not a function name", "PUT", "/warmer/targets/9lives", "{}", ["name"]],
    ["a warm target switched on with a string", "PUT", "/warmer/targets/robots", '{"enabled":"yes"}', [
      "enabled",
    ]],
    ["a cache loader without a schema", "PUT", "/warmer/loaders/market.candles", '{"function":"load"}', [
      "function",
    ]],
    ["a cache namespace with a NUL", "PUT", "/warmer/loaders/a%00b", '{"function":"public.load"}', [
      "namespace",
    ]],
  ].map(([name, method, path, body, mentions]): Case => ({
    name: name as string,
    method: method as Case["method"],
    path: path as string,
    body: body as string | undefined,
    status: 400,
    mentions: mentions as string[],
  })),
];

/** `at` written with a +hours:00 offset (the same instant). */
function withOffset(at: Date, hours: number): string {
  const local = new Date(at.getTime() + hours * 3_600_000).toISOString().replace("Z", "");
  return `${local}+${String(hours).padStart(2, "0")}:00`;
}

async function databaseState(sql: postgres.Sql) {
  const [state] = await sql`
    -- The functions record their own requests (reporter 'function:<name>') in the background, bad ones
    -- included: those rows are the suite measuring itself, not something the caller's input changed.
    select (select count(*) from optimizer.metric_events where reporter not like 'function:%') as events,
           (select value::text from optimizer.config) as config,
           (select count(*) from optimizer.finding_events) as finding_events,
           (select count(*) from optimizer.forecasts) as forecasts,
           (select updated_at from optimizer.config) as config_updated_at`;
  return state;
}

for (const badCase of cases) {
  Deno.test(`${badCase.method} ${badCase.path} rejects ${badCase.name} with ${badCase.status} and changes nothing`, async () => {
    const sql = postgres(env.dbUrl, { prepare: false, max: 1 });
    try {
      const before = await databaseState(sql);
      const response = await fetch(`${functionsUrl}${badCase.path}`, {
        method: badCase.method,
        headers: { apikey: env.secretKey, "content-type": "application/json" },
        body: badCase.body,
      });
      const text = await response.text();
      assert.equal(response.status, badCase.status, text);
      for (const mention of badCase.mentions) {
        assert.ok(text.includes(mention), `"${mention}" missing from ${text}`);
      }
      assert.deepEqual(await databaseState(sql), before);
    } finally {
      await sql.end();
    }
  });
}
