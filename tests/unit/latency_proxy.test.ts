import assert from "node:assert/strict";
import { startLatencyProxy, throughProxy } from "../../bench/harness/latency_proxy.ts";

/** A TCP server answering every chunk with the same bytes. */
function startEcho() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      conn.readable.pipeTo(conn.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    stop() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // closed by the proxy already
        }
      }
    },
  };
}

/** Sends `text` and waits for `expected` bytes back (its length by default); resolves with them and the time taken. */
async function roundTrip(conn: Deno.Conn, text: string, expected = text.length) {
  const started = performance.now();
  await conn.write(new TextEncoder().encode(text));
  const received: number[] = [];
  const buffer = new Uint8Array(1024);
  while (received.length < expected) {
    const n = await conn.read(buffer);
    if (n === null) break;
    received.push(...buffer.subarray(0, n));
  }
  return { text: new TextDecoder().decode(new Uint8Array(received)), ms: performance.now() - started };
}

Deno.test("startLatencyProxy() holds each chunk back by the delay asked for when it arrives", async () => {
  const echo = startEcho();
  let delay = 0;
  const proxy = startLatencyProxy({
    target: { hostname: "127.0.0.1", port: echo.port },
    delayMs: () => delay,
  });
  const conn = await Deno.connect({ hostname: proxy.hostname, port: proxy.port });
  try {
    const fast = await roundTrip(conn, "select 1");
    assert.equal(fast.text, "select 1");
    delay = 120;
    const slow = await roundTrip(conn, "select 2");
    assert.equal(slow.text, "select 2");
    assert.ok(slow.ms >= 115, `a delayed round trip took ${slow.ms} ms`);
    assert.deepEqual(proxy.stats(), { delayedChunks: 1, connections: 1 });
  } finally {
    conn.close();
    await proxy.stop();
    echo.stop();
  }
});

Deno.test("startLatencyProxy() keeps chunks in order, each waiting from its own arrival", async () => {
  const echo = startEcho();
  const delays = [400, 400];
  const proxy = startLatencyProxy({
    target: { hostname: "127.0.0.1", port: echo.port },
    delayMs: () => delays.shift() ?? 0,
  });
  const conn = await Deno.connect({ hostname: proxy.hostname, port: proxy.port });
  try {
    await conn.write(new TextEncoder().encode("a"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // "b" is due 400 ms after it was sent, not 400 ms after "a" went out (500)
    const both = await roundTrip(conn, "b", 2);
    assert.equal(both.text, "ab");
    assert.ok(both.ms >= 395 && both.ms < 480, `"b" arrived ${both.ms} ms after it was sent`);
  } finally {
    conn.close();
    await proxy.stop();
    echo.stop();
  }
});

Deno.test("throughProxy() points a database URL at the proxy, keeping credentials and database", () => {
  assert.equal(
    throughProxy("postgresql://postgres:secret@127.0.0.1:54322/postgres", {
      hostname: "127.0.0.1",
      port: 6000,
    }),
    "postgresql://postgres:secret@127.0.0.1:6000/postgres",
  );
});
