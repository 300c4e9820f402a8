import assert from "node:assert/strict";
import { createQuoteClient } from "../../bench/reference_app/functions/market-data/store.ts";

const quote = { symbol: "EURUSD", price: 1.1 };

Deno.test("a quote is fetched from UPSTREAM_URL's /quote with symbol and timeframe", async () => {
  let asked = "";
  const client = createQuoteClient({
    baseUrl: "http://upstream.test/",
    timeoutMs: 100,
    fetch: (input) => {
      asked = String(input);
      return Promise.resolve(Response.json(quote));
    },
  });
  assert.deepEqual(await client("EURUSD", "M5"), { ok: true, quote });
  assert.equal(asked, "http://upstream.test/quote?symbol=EURUSD&timeframe=M5");
});

Deno.test("an upstream error answer becomes a 502 that names its status", async () => {
  const client = createQuoteClient({
    baseUrl: "http://upstream.test",
    timeoutMs: 100,
    fetch: () => Promise.resolve(Response.json({ error: "down" }, { status: 503 })),
  });
  const result = await client("EURUSD", "M1");
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.status, 502);
  assert.match(!result.ok ? result.error : "", /answered 503/);
});

Deno.test("an upstream that hangs is cut off at the timeout with a 504", async () => {
  const client = createQuoteClient({
    baseUrl: "http://upstream.test",
    timeoutMs: 50,
    fetch: (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      }),
  });
  const started = performance.now();
  const result = await client("EURUSD", "M1");
  assert.equal(!result.ok && result.status, 504);
  assert.ok(performance.now() - started < 1000);
});

Deno.test("an unreachable upstream is a 502, not a thrown error", async () => {
  const client = createQuoteClient({
    baseUrl: "http://upstream.test",
    timeoutMs: 100,
    fetch: () => Promise.reject(new TypeError("connection refused")),
  });
  const result = await client("EURUSD", "M1");
  assert.equal(!result.ok && result.status, 502);
});
