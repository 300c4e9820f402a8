/**
 * First module of every function worker process (see worker.ts). It makes the function listen on
 * 127.0.0.1 on a free port whatever it asks for, tells the gateway that port with one stdout line, then
 * imports the function's entrypoint. Functions may call `Deno.serve(...)` in any of its forms, or
 * `export default { fetch }` (served here when Deno.serve was never called).
 *
 * Usage: deno run -A worker_bootstrap.ts <entrypoint file URL>
 */
import { portAnnouncement } from "./worker_protocol.ts";

type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
type ServeOptions = { onError?: (error: unknown) => Response | Promise<Response> } & Record<string, unknown>;

const entrypoint = Deno.args[0];
if (!entrypoint) {
  console.error("worker_bootstrap: missing entrypoint argument");
  Deno.exit(2);
}

const originalServe = Deno.serve.bind(Deno);
let served = false;

function normalize(args: unknown[]): { handler: Handler; options: ServeOptions } {
  const [first, second] = args;
  if (typeof first === "function") {
    return { handler: first as Handler, options: (second ?? {}) as ServeOptions };
  }
  if (typeof second === "function") {
    return { handler: second as Handler, options: (first ?? {}) as ServeOptions };
  }
  const options = (first ?? {}) as ServeOptions & { handler?: Handler };
  if (typeof options.handler !== "function") throw new TypeError("Deno.serve: a handler is required");
  return { handler: options.handler, options };
}

function serveOnEphemeralPort(handler: Handler, options: ServeOptions): Deno.HttpServer {
  if (served) throw new Error("a function may start only one server (Deno.serve was called twice)");
  served = true;
  return originalServe({
    hostname: "127.0.0.1",
    port: 0,
    ...(options.onError ? { onError: options.onError } : {}),
    onListen: ({ port }) => console.log(portAnnouncement(port)),
  }, handler);
}

// Deno.serve is a writable property in Deno 2, so the function's own call lands here.
(Deno as { serve: unknown }).serve = (...args: unknown[]) => {
  const { handler, options } = normalize(args);
  return serveOnEphemeralPort(handler, options);
};

// Background work as on hosted: EdgeRuntime.waitUntil(promise) keeps the worker until the promise settles.
// When the gateway retires the worker (SIGTERM, then SIGKILL after its grace period), the function gets a
// `beforeunload` event, as on hosted, and pending work may finish first: metric reporters flush here. The
// grace covers a metric batch in flight to a slow metrics endpoint (instrument()'s sink gives up after 10 s);
// the gateway waits longer still before SIGKILL (worker.ts, killGraceMs).
const pending = new Set<Promise<unknown>>();
const shutdownGraceMs = 12_000;
(globalThis as { EdgeRuntime?: unknown }).EdgeRuntime = {
  waitUntil(promise: Promise<unknown>) {
    const tracked = Promise.resolve(promise).catch(() => {}).finally(() => pending.delete(tracked));
    pending.add(tracked);
  },
};
Deno.addSignalListener("SIGTERM", async () => {
  globalThis.dispatchEvent(new CustomEvent("beforeunload", { detail: { reason: "termination" } }));
  const grace = new Promise((resolve) => setTimeout(resolve, shutdownGraceMs));
  await Promise.race([Promise.allSettled([...pending]), grace]);
  Deno.exit(0);
});

// Exits when the gateway that started this worker is gone (kill -9 of the stack), so no orphan stays.
const parentPid = Deno.ppid;
Deno.unrefTimer(setInterval(() => {
  if (Deno.ppid !== parentPid) Deno.exit(0);
}, 1000));

const module = await import(entrypoint);
const fetchHandler = module.default?.fetch;
if (!served) {
  if (typeof fetchHandler !== "function") {
    console.error(`${entrypoint} neither calls Deno.serve nor has a default export with fetch()`);
    Deno.exit(1);
  }
  serveOnEphemeralPort(fetchHandler.bind(module.default) as Handler, {});
}
