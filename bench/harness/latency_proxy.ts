/**
 * A TCP proxy that holds back what clients send by a delay it asks for per chunk: put between the functions
 * and Postgres, it makes every statement's round trip that much longer while the delay is above 0 (a slow
 * database, as a saturated or failing-over instance looks to its clients) and forwards at once otherwise.
 * Chunks keep their order and each waits its own delay from when it arrived, so the delay adds latency
 * without capping throughput.
 */

export interface LatencyProxyOptions {
  /** Where the proxy forwards to. */
  target: { hostname: string; port: number };
  /** The delay for a chunk that arrives now, in ms (0: forward at once). */
  delayMs: () => number;
}

export interface RunningLatencyProxy {
  hostname: string;
  port: number;
  /** Chunks held back so far, and connections accepted. */
  stats(): { delayedChunks: number; connections: number };
  /** Stops accepting and closes every connection. */
  stop(): Promise<void>;
}

export function startLatencyProxy(options: LatencyProxyOptions): RunningLatencyProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const counts = { delayedChunks: 0, connections: 0 };

  const close = (conn: Deno.Conn) => {
    if (!open.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // already closed by the other side
    }
  };

  /** Copies from → to, each chunk after its delay; either side ending ends both. */
  async function pipe(from: Deno.Conn, to: Deno.Conn, delayMs: () => number) {
    const writer = to.writable.getWriter();
    let previous = Promise.resolve();
    try {
      for await (const chunk of from.readable) {
        const delay = delayMs();
        if (delay > 0) counts.delayedChunks++;
        const due = performance.now() + delay;
        previous = previous.then(async () => {
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await writer.write(chunk);
        }).catch(() => {
          // the other side is gone: closing ends the read loop too
          close(from);
          close(to);
        });
      }
      await previous;
    } catch {
      // a connection reset ends the pair below
    } finally {
      close(from);
      close(to);
    }
  }

  async function accept() {
    for await (const client of listener) {
      open.add(client);
      counts.connections++;
      Deno.connect(options.target).then((server) => {
        open.add(server);
        pipe(client, server, options.delayMs);
        pipe(server, client, () => 0);
      }, () => close(client));
    }
  }
  const accepting = accept().catch(() => {});

  const { hostname, port } = listener.addr as Deno.NetAddr;
  return {
    hostname,
    port,
    stats: () => ({ ...counts }),
    async stop() {
      listener.close();
      for (const conn of [...open]) close(conn);
      await accepting;
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: Pick<RunningLatencyProxy, "hostname" | "port">): string {
  const parsed = new URL(url);
  parsed.hostname = proxy.hostname;
  parsed.port = String(proxy.port);
  return parsed.toString();
}
